import { afterAll, beforeAll, expect, it } from 'vitest';
import { EvaluationsResponse } from '../../src/api/evaluations-routes';
import { StartRunResponse } from '../../src/api/runs-routes';
import { storeOf } from '../../src/store/store';
import { postJson, waitForRunEnded, type Api } from '../helpers/harness';
import { startStack, type Stack } from '../helpers/stack';

let stack: Stack;
let api: Api;

beforeAll(async () => {
  stack = await startStack('evaluations over http');
  ({ api } = stack);
}, 180_000);

afterAll(async () => {
  await stack?.stop();
});

const spec = {
  name: 'paced',
  inputs: { pause: { type: 'string' } },
  steps: [
    {
      id: 'work',
      kind: 'tool',
      tool: 'shell',
      with: { run: 'sleep "$PAUSE"; printf ok', env: { PAUSE: '${{ input.pause }}' } },
    },
    { id: 'check', kind: 'tool', tool: 'shell', with: { run: 'printf done' } },
  ],
};

async function runOnce(pause: string): Promise<string> {
  const started = await postJson(`${api.baseUrl}/api/runs`, { spec, input: { pause } });
  expect(started.status, JSON.stringify(started.body)).toBe(201);
  const runId = started.body.runId as string;
  const run = await waitForRunEnded(stack.env, api, runId);
  expect(run.status, run.error).toBe('completed');
  return runId;
}

async function getText(path: string): Promise<{ status: number; text: string }> {
  const response = await fetch(`${api.baseUrl}${path}`);
  return { status: response.status, text: await response.text() };
}

it('grades every run, builds a baseline from earlier runs, and flags a slow run as a regression with its numbers', async () => {
  const baselineRuns: string[] = [];
  for (let i = 0; i < 6; i++) baselineRuns.push(await runOnce('0.2'));
  const slow = await runOnce('3');

  // One record per run and step, however often the activity ran.
  const db = await storeOf(api.config).query();
  const rows = await db.selectFrom('outcomes').select(['run_id', 'step_id']).execute();
  expect(rows).toHaveLength(14);
  expect(new Set(rows.map((r) => `${r.run_id}/${r.step_id}`)).size).toBe(14);

  const { status, text } = await getText('/api/evaluations?spec=paced');
  expect(status).toBe(200);
  const body = EvaluationsResponse.parse(JSON.parse(text));
  expect(body.runs).toHaveLength(7);
  for (const run of body.runs)
    expect(run).toMatchObject({ specName: 'paced', grade: 'EXCELLENT', score: 100, success: true, steps: 2 });
  const slowRun = body.runs.find((r) => r.runId === slow)!;
  expect(slowRun.baseline?.samples).toBe(6);
  const regression = slowRun.regressions.find((r) => r.metric === 'durationMs')!;
  expect(regression.value).toBeGreaterThan(regression.baseline * 1.1);
  expect(regression.message).toMatch(
    /^durationMs \d+ ms is \d+% above the baseline \d+ ms \(median of 6; threshold 10%\)$/,
  );
  for (const runId of baselineRuns.slice(5)) {
    const run = body.runs.find((r) => r.runId === runId)!;
    expect(run.regressions.filter((r) => r.metric !== 'durationMs')).toEqual([]);
  }
  expect(body.specs).toEqual([expect.objectContaining({ specName: 'paced', runs: 7 })]);

  const metrics = await getText('/metrics');
  expect(metrics.text).toMatch(/troupe_run_regressions\{metric="durationMs"\} [1-9]/);

  // The next start comes back with a forecast learned from those seven runs (the API rereads the
  // records at most every 5 s).
  await new Promise((resolve) => setTimeout(resolve, 5_100));
  const next = await postJson(`${api.baseUrl}/api/runs`, { spec, input: { pause: '0' } });
  expect(next.status).toBe(201);
  const prediction = StartRunResponse.parse(next.body).prediction!;
  expect(prediction.records).toBe(14);
  expect(prediction.success).toBeGreaterThan(0.8);
  expect(prediction.riskStep).toBeUndefined();
  expect(prediction.confidence).toBe('medium');
  expect(prediction.durationMs).toBeGreaterThan(0);
  expect(prediction.explanation).toMatch(
    /^\d+% = product of work \d+% \(7 records\) × check \d+% \(7 records\)$/,
  );
  await waitForRunEnded(stack.env, api, next.body.runId as string);
}, 300_000);

it('refuses a bad query naming the field', async () => {
  const { status, text } = await getText('/api/evaluations?limit=0');
  expect(status).toBe(400);
  expect(text).toContain('limit');
});
