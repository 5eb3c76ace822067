import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startFakeModelServer, type FakeModelServer } from '../src/fake-models/server';
import { TroupeCost } from '../src/engine/search-attributes';
import { costStepUsd } from '../src/workflows/run-workflow';
import { startStack, type Stack } from './helpers/stack';
import { shippedCatalogueOn, shippedModels } from './models/helpers';
import { isClosed, postJson, readExample, waitForRun, waitUntil, type Api } from './helpers/harness';

let stack: Stack;
let env: TestWorkflowEnvironment;
let fake: FakeModelServer;
let api: Api;

beforeAll(async () => {
  fake = await startFakeModelServer();
  stack = await startStack('model steps', { models: shippedCatalogueOn(fake).runtime });
  ({ env, api } = stack);
});

afterAll(async () => {
  await stack?.stop();
  await fake?.close();
});

beforeEach(() => fake.setScript({ models: shippedModels }));

async function run(spec: unknown, input: Record<string, unknown> = {}) {
  const started = await postJson(`${api.baseUrl}/api/runs`, { spec, input });
  expect(started.status, JSON.stringify(started.body)).toBe(201);
  return waitForRun(api, started.body.runId as string, isClosed);
}

describe('model steps', () => {
  it('answers examples/ask.yaml with a local model and records model, tokens and cost', async () => {
    const result = await run(await readExample('ask.yaml'), { question: 'hello there' });
    expect(result.status).toBe('completed');
    expect(result.output).toMatch(/^\[simulated\] .*qwen2\.5-coder:7b/);
    expect(result.steps[0]?.model).toMatchObject({
      modelId: 'qwen2.5-coder:7b',
      provider: 'ollama',
      costUsd: 0,
      attempts: [{ modelId: 'qwen2.5-coder:7b', outcome: 'ok' }],
    });
    expect(result.steps[0]?.model?.inputTokens).toBeGreaterThan(0);
    expect(result.steps[0]?.model?.outputTokens).toBeGreaterThan(0);
    expect(result.steps[0]?.model?.reason).toMatch(/local-first/);
  });

  it('fails over to the cloud model when the local ones answer 500, and says why', async () => {
    fake.setScript({
      models: { ...shippedModels, 'qwen2.5-coder:7b': { status: 500 }, 'llama3.1:8b': { status: 500 } },
    });
    const result = await run(await readExample('ask.yaml'));
    expect(result.status).toBe('completed');
    const model = result.steps[0]?.model;
    expect(model?.provider).toBe('openai');
    expect(model?.attempts.slice(0, 2)).toEqual([
      expect.objectContaining({
        modelId: 'qwen2.5-coder:7b',
        outcome: expect.not.stringMatching(/^ok$/),
        error: expect.stringMatching(/500/),
      }),
      expect.objectContaining({ modelId: 'llama3.1:8b', error: expect.stringMatching(/500/) }),
    ]);
    expect(model?.attempts.at(-1)).toMatchObject({ modelId: model?.modelId, outcome: 'ok' });
    expect(model?.costUsd).toBeGreaterThan(0);
    expect(result.costUsd).toBe(model?.costUsd);
    const description = await env.client.workflow.getHandle(result.runId).describe();
    expect(description.typedSearchAttributes.get(TroupeCost)).toBe(model?.costUsd);
  });

  it('stops a run over budget with BudgetExceeded before any call reaches the priced model', async () => {
    const before = fake.requests.length;
    const result = await run({
      name: 'expensive',
      budget: { usd: 0.0001 },
      steps: [
        {
          id: 'essay',
          kind: 'model',
          with: { model: 'gpt-4o', prompt: 'Write a long essay on sagas.', maxTokens: 4000 },
        },
      ],
    });
    expect(result.status).toBe('failed');
    expect(result.error).toMatch(/^step "essay" failed: BudgetExceeded: /);
    expect(result.error).toMatch(/0\.0001/);
    expect(fake.requests.slice(before).filter((request) => request.model === 'gpt-4o')).toEqual([]);
    expect(result.steps[0]?.model?.attempts).toEqual([
      expect.objectContaining({ modelId: 'gpt-4o', outcome: 'budget-exceeded' }),
    ]);
  });
});

type HistoryEvent = NonNullable<Awaited<ReturnType<typeof fetchHistory>>['events']>[number];

function fetchHistory(runId: string) {
  return env.client.workflow.getHandle(runId).fetchHistory();
}

/** A marker's first detail payload, decoded: a patch's id or a local activity's type. */
function markerDetail(event: HistoryEvent): { id?: string; activity_type?: string } {
  const details = event.markerRecordedEventAttributes?.details ?? {};
  const payload = (details['patch-data'] ?? details.data)?.payloads?.[0];
  return payload?.data ? (JSON.parse(Buffer.from(payload.data).toString()) as object) : {};
}

/** What a run's history says about the events lean-history saves. */
async function historyOf(runId: string) {
  const events = (await fetchHistory(runId)).events ?? [];
  const markers = events.filter((event) => event.markerRecordedEventAttributes).map(markerDetail);
  const writesOf = (key: string) =>
    events.flatMap((event) => {
      const field =
        event.upsertWorkflowSearchAttributesEventAttributes?.searchAttributes?.indexedFields?.[key];
      return field?.data ? [JSON.parse(Buffer.from(field.data).toString()) as unknown] : [];
    });
  const costWrites = writesOf('TroupeCost').map(Number);
  return {
    patches: markers.flatMap((marker) => marker.id ?? []),
    localActivities: markers.flatMap((marker) => marker.activity_type ?? []),
    activities: events.flatMap(
      (event) => event.activityTaskScheduledEventAttributes?.activityType?.name ?? [],
    ),
    costWrites,
    statusWrites: writesOf('TroupeStatus'),
    changeVersionWrites: writesOf('TemporalChangeVersion'),
  };
}

describe('lean-history', () => {
  it('under layout 2 writes no patch marker and no end status, plans once for steps with the same routing, records outcomes locally, and replays', async () => {
    const steps = ['one', 'two', 'six'].map((n) => ({
      id: n,
      kind: 'model',
      with: { model: 'gpt-4o-mini', prompt: `Question ${n}?` },
    }));
    const result = await run({ name: 'lean', steps });
    expect(result.status).toBe('completed');
    const history = await historyOf(result.runId);
    // The layout rides in the run's input (POST /api/runs sets it), so choosing it costs no event.
    expect(history.patches).toEqual([]);
    expect(history.changeVersionWrites).toEqual([]);
    // Temporal's close status says the run completed; the list reads it from there.
    expect(history.statusWrites).toEqual([]);
    const listedStatus = async () => {
      const listed = await fetch(`${api.baseUrl}/api/runs?status=completed&limit=200`);
      const { runs } = (await listed.json()) as { runs: { runId: string; status: string }[] };
      return runs.find((entry) => entry.runId === result.runId)?.status;
    };
    await waitUntil(async () => (await listedStatus()) !== undefined, {
      what: 'the run listed as completed',
    });
    expect(await listedStatus()).toBe('completed');
    expect(history.localActivities).toEqual(['planModelRoute', 'recordOutcomes']);
    expect(history.activities).toEqual(['callModel', 'callModel', 'callModel']);
    const planners = result.steps.filter((step) => !/\(planned for step /.test(step.model?.reason ?? ''));
    expect(planners.map((step) => step.id)).toHaveLength(1);
    expect(result.steps.every((step) => step.model?.modelId === 'gpt-4o-mini')).toBe(true);
    // Spend well under a step: TroupeCost is written once, with the final status, and exact.
    expect(history.costWrites).toEqual([result.costUsd]);
    const description = await env.client.workflow.getHandle(result.runId).describe();
    expect(description.typedSearchAttributes.get(TroupeCost)).toBe(result.costUsd);
    await stack.replay(result.runId);
  });

  it('writes TroupeCost when spend grows by a step, and exactly at the end', async () => {
    const essay = 'word '.repeat(1500);
    fake.setScript({
      models: shippedModels,
      replies: [{ match: { prompt: 'Write an essay' }, reply: essay }],
    });
    const ask = (id: string, model: string, prompt: string, dependsOn: string[]) => ({
      id,
      kind: 'model',
      dependsOn,
      with: { model, prompt },
    });
    const result = await run({
      name: 'lean-cost',
      steps: [
        ask('a', 'gpt-4o-mini', 'Say hello.', []),
        ask('b', 'gpt-4o-mini', 'Say hello again.', ['a']),
        ask('essay', 'gpt-4o', 'Write an essay on sagas.', ['b']),
        ask('c', 'gpt-4o-mini', 'Say goodbye.', ['essay']),
      ],
    });
    expect(result.status).toBe('completed');
    const byId = new Map(result.steps.map((step) => [step.id, step.model?.costUsd ?? 0]));
    expect(byId.get('essay')).toBeGreaterThan(costStepUsd);
    const { costWrites } = await historyOf(result.runId);
    const afterEssay = (byId.get('a') ?? 0) + (byId.get('b') ?? 0) + (byId.get('essay') ?? 0);
    expect(costWrites).toHaveLength(2);
    expect(costWrites[0]).toBeCloseTo(afterEssay, 12);
    expect(costWrites[1]).toBe(result.costUsd);
    await stack.replay(result.runId);
  });

  it('plans again for the step after one whose route failed over', async () => {
    fake.setScript({
      models: { ...shippedModels, 'qwen2.5-coder:7b': { status: 500 }, 'llama3.1:8b': { status: 500 } },
    });
    const result = await run({
      name: 'lean-failover',
      steps: [
        { id: 'first', kind: 'model', with: { policy: 'local-first', prompt: 'Question one?' } },
        {
          id: 'second',
          kind: 'model',
          dependsOn: ['first'],
          with: { policy: 'local-first', prompt: 'Question two?' },
        },
      ],
    });
    expect(result.status).toBe('completed');
    expect(result.steps.map((step) => step.model?.provider)).toEqual(['openai', 'openai']);
    const { localActivities } = await historyOf(result.runId);
    expect(localActivities.filter((type) => type === 'planModelRoute')).toHaveLength(2);
    expect(result.steps[1]?.model?.reason).not.toMatch(/planned for step/);
    await stack.replay(result.runId);
  });
});
