import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { io } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RegressionAlert } from '../../src/api/live-events';
import {
  AgentPerformance,
  LearningCurveResponse,
  ModelPerformance,
} from '../../src/api/performance-analytics';
import { RunForecastResponse } from '../../src/api/runs-routes';
import type { OutcomeRecord } from '../../src/learning/outcome-record';
import { StoreOutcomeStore } from '../../src/learning/outcome-store';
import { storeOf } from '../../src/store/store';
import { postJson, startApiServerForTest, waitForRunEnded, waitUntil, type Api } from '../helpers/harness';
import { startStack, type Stack } from '../helpers/stack';

let stack: Stack;
let api: Api;

beforeAll(async () => {
  stack = await startStack('analytics views', { server: true });
  ({ api } = stack);
}, 180_000);

afterAll(async () => {
  await stack?.stop();
});

const minutesAgo = (n: number) => new Date(Date.now() - n * 60_000).toISOString();

/** An outcome record as the workers' recordOutcomes activity writes it. */
function record(runId: string, stepId: string, over: Partial<OutcomeRecord> = {}): OutcomeRecord {
  return {
    runId,
    specName: 'views',
    stepId,
    inputTokens: 100,
    outputTokens: 50,
    costUsd: 0,
    durationMs: 1000,
    attempts: 1,
    success: true,
    score: 100,
    grade: 'EXCELLENT',
    features: { stepKind: 'agent', capabilities: [], inputTokens: 100, specName: 'views' },
    endedAt: minutesAgo(30),
    ...over,
  };
}

const autoChoice = (agent: string) => ({
  agent,
  needs: ['tests'],
  context: 'agent:tests:small',
  explored: agent !== 'tester',
  reason: `${agent}: test`,
  alternatives: ['coder', 'tester'].map((id) => ({
    agent: id,
    estimate: 0.5,
    successMean: 0.7,
    qualityMean: 0.7,
    observations: 0,
  })),
});

async function getJson(base: string, path: string): Promise<{ status: number; body: unknown }> {
  const response = await fetch(`${base}${path}`);
  return { status: response.status, body: await response.json() };
}

describe('per-agent, per-model and learning views over HTTP', () => {
  it('answers from the outcome records in the store', async () => {
    const store = new StoreOutcomeStore(storeOf(api.config));
    await store.put(record('v1', 'code', { agent: 'coder', model: 'qwen2.5-coder:7b', durationMs: 100 }));
    await store.put(
      record('v1', 'review', { agent: 'reviewer', model: 'gpt-4o-mini', costUsd: 0.004, durationMs: 400 }),
    );
    await store.put(
      record('v2', 'code', {
        agent: 'coder',
        model: 'gpt-4o-mini',
        costUsd: 0.002,
        durationMs: 900,
        success: false,
        score: 0,
        grade: 'POOR',
        errorType: 'ModelError',
      }),
    );
    // A record 40 days old is outside ?days=7 and inside ?days=90.
    await store.put(record('v0', 'code', { agent: 'coder', endedAt: minutesAgo(40 * 24 * 60) }));
    // Choices of `agent: auto`: the tester succeeds, the coder fails, so choosing the tester was optimal.
    for (const [index, agent] of ['coder', 'tester', 'tester'].entries()) {
      const ok = agent === 'tester';
      await store.put(
        record(`auto${index}`, 'check', {
          agent,
          success: ok,
          score: ok ? 100 : 0,
          grade: ok ? 'EXCELLENT' : 'POOR',
          features: { stepKind: 'agent', capabilities: ['tests'], inputTokens: 10, specName: 'views' },
          choice: autoChoice(agent),
          endedAt: minutesAgo(20 - index),
        }),
      );
    }

    const agents = await getJson(api.baseUrl, '/api/analytics/agents?days=7');
    expect(agents.status).toBe(200);
    const byAgent = AgentPerformance.parse(agents.body);
    const coder = byAgent.agents.find((a) => a.id === 'coder')!;
    expect(coder).toMatchObject({
      steps: 3,
      successes: 1,
      modelSteps: 2,
      localSteps: 1,
      localShare: 0.5,
      p50Ms: 900,
      p95Ms: 1000,
    });
    expect(coder.successRate).toBeCloseTo(1 / 3);
    expect(coder.costPerSuccess).toBeCloseTo(0.002);
    expect(coder.byDay).toHaveLength(7);
    expect(coder.byDay.at(-1)?.steps ?? 0).toBeLessThanOrEqual(3);
    expect(byAgent.agents.map((a) => a.id).sort()).toEqual(['coder', 'reviewer', 'tester']);

    const longer = AgentPerformance.parse((await getJson(api.baseUrl, '/api/analytics/agents?days=90')).body);
    expect(longer.agents.find((a) => a.id === 'coder')?.steps).toBe(4);

    const models = ModelPerformance.parse((await getJson(api.baseUrl, '/api/analytics/models?days=7')).body);
    expect(models.models.map((m) => [m.id, m.steps, m.local, m.localShare])).toEqual([
      ['gpt-4o-mini', 2, false, 0],
      ['qwen2.5-coder:7b', 1, true, 1],
    ]);
    const mini = models.models[0]!;
    expect(mini.costUsd).toBeCloseTo(0.006);
    expect(mini.costPerSuccess).toBeCloseTo(0.006);

    const curve = LearningCurveResponse.parse(
      (await getJson(api.baseUrl, '/api/analytics/learning?days=7&window=2')).body,
    );
    expect(curve).toMatchObject({ choices: 3, optimal: 2 });
    expect(curve.share).toBeCloseTo(2 / 3);
    expect(curve.windows.map((w) => w.share)).toEqual([0.5, 1]);
    expect(curve.contexts).toEqual([
      expect.objectContaining({ context: 'agent:tests:small', best: 'tester' }),
    ]);
    expect(curve.definition).toContain('hindsight');
  });

  it('refuses a bad query naming the field', async () => {
    for (const path of ['/api/analytics/agents?days=0', '/api/analytics/models?days=x']) {
      const { status, body } = await getJson(api.baseUrl, path);
      expect(status).toBe(400);
      expect(JSON.stringify(body)).toContain('days');
    }
    const { status, body } = await getJson(api.baseUrl, '/api/analytics/learning?window=0');
    expect(status).toBe(400);
    expect(JSON.stringify(body)).toContain('window');
  });

  it('documents the views in the OpenAPI document', async () => {
    const { body } = await getJson(api.baseUrl, '/api/openapi.json');
    const paths = Object.keys((body as { paths: Record<string, unknown> }).paths);
    expect(paths).toEqual(
      expect.arrayContaining(['/api/analytics/agents', '/api/analytics/models', '/api/analytics/learning']),
    );
  });
});

const connect = async (base: string) => {
  const socket = io(base, { transports: ['websocket'], reconnection: false });
  const alerts: RegressionAlert[] = [];
  socket.on('alert', (alert: unknown) => alerts.push(RegressionAlert.parse(alert)));
  await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
  return { socket, alerts };
};

describe("a run's forecast as it goes", () => {
  it('counts the steps that have ended, and adds what the run spent and took so far', async () => {
    const spec = {
      name: 'forecast-live',
      steps: [
        { id: 'first', kind: 'tool', tool: 'shell', with: { run: 'printf ok' } },
        {
          id: 'second',
          kind: 'tool',
          tool: 'shell',
          dependsOn: ['first'],
          with: { run: 'sleep 4; printf ok' },
        },
      ],
    };
    const started = await postJson(`${api.baseUrl}/api/runs`, { spec });
    expect(started.status, JSON.stringify(started.body)).toBe(201);
    const runId = started.body.runId as string;
    const atStart = RunForecastResponse.parse(started.body).prediction!;
    expect(atStart.progress).toBeUndefined();
    expect(atStart.explanation).toMatch(/^\d+% = product of first \d+% \(\d+ records\) × second \d+%/);

    let midway: RunForecastResponse['prediction'];
    await waitUntil(
      async () => {
        midway = RunForecastResponse.parse(
          (await getJson(api.baseUrl, `/api/runs/${runId}/forecast`)).body,
        ).prediction;
        return midway?.progress?.stepsEnded === 1;
      },
      { timeoutMs: 15_000, everyMs: 250, what: 'a forecast made after the first step ended' },
    );
    expect(midway!.explanation).toMatch(/^\d+% = product of first done × second \d+% \(\d+ records\)$/);
    expect(midway!.success).toBeGreaterThanOrEqual(atStart.success);
    expect(midway!.durationMs).toBeGreaterThanOrEqual(midway!.progress!.elapsedMs);
    expect(midway!.progress!.elapsedMs).toBeGreaterThan(0);
    const run = await waitForRunEnded(stack.env, api, runId);
    expect(run.status, run.error).toBe('completed');
  }, 60_000);
});

describe('regression alerts over Socket.IO', () => {
  const spec = {
    name: 'alerted',
    inputs: { pause: { type: 'string' } },
    steps: [
      {
        id: 'work',
        kind: 'tool',
        tool: 'shell',
        with: { run: 'sleep "$PAUSE"; printf ok', env: { PAUSE: '${{ input.pause }}' } },
      },
    ],
  };
  const runOnce = async (pause: string) => {
    const started = await postJson(`${api.baseUrl}/api/runs`, { spec, input: { pause } });
    expect(started.status, JSON.stringify(started.body)).toBe(201);
    const run = await waitForRunEnded(stack.env, api, started.body.runId as string);
    expect(run.status, run.error).toBe('completed');
    return run.runId;
  };

  it('sends every connected client one alert when a slow run regresses against its baseline', async () => {
    const clients = [await connect(api.baseUrl), await connect(api.baseUrl)];
    try {
      for (let i = 0; i < 5; i++) await runOnce('0.1');
      // Five runs make the first baseline: none of them could regress, so nothing was alerted.
      await new Promise((resolve) => setTimeout(resolve, 2_500));
      expect(clients.flatMap((c) => c.alerts).filter((a) => a.specName === 'alerted')).toEqual([]);
      const slow = await runOnce('2.5');
      await waitUntil(() => clients.every((c) => c.alerts.some((a) => a.runId === slow)), {
        timeoutMs: 20_000,
        what: 'the alert on both clients',
      });
      // A few more checks of the records raise nothing new.
      await new Promise((resolve) => setTimeout(resolve, 4_500));
      for (const { alerts } of clients) {
        const mine = alerts.filter((a) => a.runId === slow);
        expect(mine.map((a) => a.id)).toEqual([`${slow}:durationMs`]);
        expect(mine[0]).toMatchObject({ kind: 'regression', specName: 'alerted', metric: 'durationMs' });
        expect(mine[0]!.value).toBeGreaterThan(mine[0]!.baseline * 1.1);
        expect(mine[0]!.message).toMatch(/^alerted run .+: durationMs \d+ ms is \d+% above the baseline/);
      }
      const metrics = await (await fetch(`${api.baseUrl}/metrics`)).text();
      expect(metrics).toMatch(/troupe_regression_alerts_total\{metric="durationMs"\} 1\b/);
      expect(metrics).toMatch(/troupe_run_regressions\{metric="durationMs"\} [1-9]/);

      // The run page's forecast of the ended run: the same model as the start's, from the records now
      // (5 s cache), and from what the run did, so its one step counts as done, at what it cost and took.
      await new Promise((resolve) => setTimeout(resolve, 5_100));
      const forecast = await getJson(api.baseUrl, `/api/runs/${slow}/forecast`);
      expect(forecast.status).toBe(200);
      const { prediction } = RunForecastResponse.parse(forecast.body);
      expect(prediction).toMatchObject({ success: 1, confidence: 'high', progress: { stepsEnded: 1 } });
      expect(prediction!.records).toBeGreaterThanOrEqual(6);
      expect(prediction!.durationMs).toBeGreaterThanOrEqual(2_500);
      expect(prediction!.durationMs).toBe(prediction!.progress!.elapsedMs);
      expect(prediction!.explanation).toBe('100% = product of work done');
      expect((await getJson(api.baseUrl, '/api/runs/no-such-run/forecast')).status).toBe(404);
    } finally {
      for (const { socket } of clients) socket.disconnect();
    }
  }, 180_000);

  it('sends each regression once to the clients of two API processes that share Redis and a store', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'troupe-alerts-'));
    const apiEnv = { REDIS_URL: 'redis://127.0.0.1:6379', TROUPE_ALERT_POLL_MS: '100' };
    const first = await startApiServerForTest(stack.env, 'analytics alerts', { apiEnv, dataDir });
    const second = await startApiServerForTest(stack.env, 'analytics alerts', { apiEnv, dataDir });
    const clients = [
      await connect(first.baseUrl),
      await connect(second.baseUrl),
      await connect(second.baseUrl),
    ];
    try {
      const store = new StoreOutcomeStore(storeOf(first.config));
      const specName = `shared-${Date.now()}`;
      const at = (secondsAgo: number) => new Date(Date.now() - secondsAgo * 1000).toISOString();
      for (let i = 0; i < 5; i++)
        await store.put(
          record(`${specName}-${i}`, 'work', { specName, durationMs: 1000, endedAt: at(60 - i) }),
        );
      const slowRun = `${specName}-slow`;
      await store.put(record(slowRun, 'work', { specName, durationMs: 2000, costUsd: 0.5, endedAt: at(1) }));
      await waitUntil(() => clients.every((c) => c.alerts.some((a) => a.runId === slowRun)), {
        timeoutMs: 20_000,
        what: 'the alerts on every client',
      });
      await new Promise((resolve) => setTimeout(resolve, 1_500));
      for (const { alerts } of clients)
        expect(
          alerts
            .filter((a) => a.runId === slowRun)
            .map((a) => a.id)
            .sort(),
        ).toEqual([`${slowRun}:costUsd`, `${slowRun}:durationMs`]);
      const db = await storeOf(first.config).query();
      const claimed = await db.selectFrom('alerts').select('id').execute();
      expect(claimed.map((row) => row.id).sort()).toEqual([`${slowRun}:costUsd`, `${slowRun}:durationMs`]);
    } finally {
      for (const { socket } of clients) socket.disconnect();
      await first.close();
      await second.close();
    }
  }, 120_000);
});
