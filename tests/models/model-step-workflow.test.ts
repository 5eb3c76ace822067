import { fileURLToPath } from 'node:url';
import { WorkflowFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker, type WorkflowBundle } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createModelActivities } from '../../src/activities/model-activities';
import { startFakeModelServer, type FakeModelServer } from '../../src/fake-models/server';
import type { FakeScriptInput } from '../../src/fake-models/script';
import type { ModelStepInput } from '../../src/models/model-step-input';
import { createModelPools } from '../../src/workers/model-pools';
import type { ModelStepContext, ModelStepResult } from '../../src/workflows/model-step';
import { testDataConverter } from '../helpers/payload-codec';
import { bundleWorkflows, startTestTemporal, testQueue } from '../helpers/temporal';
import type { modelStepWorkflow } from './fixtures/model-step-workflows';
import { fakeModels, testRuntime } from './helpers';

let env: TestWorkflowEnvironment;
let bundle: WorkflowBundle;
let fake: FakeModelServer;

beforeAll(async () => {
  [env, bundle, fake] = await Promise.all([
    startTestTemporal(),
    bundleWorkflows(fileURLToPath(new URL('./fixtures/model-step-workflows.ts', import.meta.url))),
    startFakeModelServer({ script: { models: fakeModels } }),
  ]);
});

afterAll(async () => {
  await fake?.close();
  await env?.teardown();
});

/**
 * Runs one model step in a real workflow: a worker for the workflow and planModelRoute on the test's
 * queue, and the model pools on their own per-provider queues, all sharing one runtime.
 */
async function runStep(
  name: string,
  script: FakeScriptInput,
  args: ModelStepInput,
  ctx: Partial<ModelStepContext> = {},
) {
  fake.setScript(script);
  const queue = testQueue(name);
  const { runtime, ledger } = await testRuntime(fake, {}, { taskQueuePrefix: `${queue}-models` });
  const activities = createModelActivities({ runtime });
  const main = await Worker.create({
    connection: env.nativeConnection,
    dataConverter: testDataConverter,
    taskQueue: queue,
    workflowBundle: bundle,
    activities: { planModelRoute: activities.planModelRoute },
  });
  const pools = await createModelPools({
    connection: env.nativeConnection,
    namespace: 'default',
    dataConverter: testDataConverter,
    catalogue: runtime.catalogue,
    activities,
  });
  const running = Promise.all([main.run(), pools.run()]);
  const requestsBefore = fake.requests.length;
  try {
    const handle = await env.client.workflow.start<typeof modelStepWorkflow>('modelStepWorkflow', {
      taskQueue: queue,
      workflowId: `${queue}-${Date.now()}`,
      args: [args, { stepId: 'step', agent: 'writer', ...ctx }],
    });
    const outcome: { result?: ModelStepResult; failure?: ApplicationFailure } = {};
    try {
      outcome.result = await handle.result();
    } catch (err) {
      if (!(err instanceof WorkflowFailedError) || !(err.cause instanceof ApplicationFailure)) throw err;
      outcome.failure = err.cause;
    }
    const history = await handle.fetchHistory();
    const scheduled = (history.events ?? [])
      .map((event) => event.activityTaskScheduledEventAttributes)
      .filter((attributes) => attributes != null)
      .map((attributes) => `${attributes.activityType?.name}@${attributes.taskQueue?.name}`);
    // Local activities (the route, under model-route-local) leave a marker each, and no activity task.
    const localActivities = (history.events ?? []).filter(
      (event) => event.markerRecordedEventAttributes?.markerName === 'core_local_activity',
    ).length;
    return {
      ...outcome,
      scheduled,
      localActivities,
      queue,
      requests: fake.requests.slice(requestsBefore),
      ledger,
    };
  } finally {
    main.shutdown();
    pools.shutdown();
    await running;
  }
}

describe('runModelStep in a workflow', () => {
  it('fails over from a failing local model to the next candidate, each call on its provider task queue', async () => {
    const run = await runStep(
      'fails over to the next candidate',
      { models: { ...fakeModels, 'local-coder': { status: 500 } } },
      { prompt: 'Write a function', requires: { capabilities: ['code'] } },
    );
    const { result, route } = run.result!;
    expect(result).toMatchObject({ modelId: 'cloud-mini', provider: 'cloud', simulated: true });
    expect(route.chosen).toBe('cloud-mini');
    expect(route.attempts).toEqual([
      {
        modelId: 'local-coder',
        provider: 'local',
        outcome: 'unavailable',
        error: expect.stringMatching(/answered HTTP 500/),
      },
      { modelId: 'cloud-mini', provider: 'cloud', outcome: 'ok' },
    ]);
    expect(route.reason).toMatch(
      /^chose cloud-mini after 1 failed attempt\(s\): fallback 1 by local-first: cloud-mini/,
    );
    // The route is planned once, in a local activity on the workflow's worker; only the calls are tasks.
    expect(run.localActivities).toBe(1);
    expect(run.scheduled).toEqual([
      `callModel@${run.queue}-models-local`,
      `callModel@${run.queue}-models-cloud`,
    ]);
  });

  it('plans the route as an activity on another task queue when the step names one', async () => {
    const queue = testQueue('plans the route on another queue');
    const run = await runStep(
      'plans the route on another queue',
      { models: fakeModels },
      { prompt: 'Say hi', model: 'cloud-mini' },
      { planTaskQueue: queue },
    );
    expect(run.result?.route.chosen).toBe('cloud-mini');
    expect(run.localActivities).toBe(0);
    expect(run.scheduled).toEqual([`planModelRoute@${queue}`, `callModel@${queue}-models-cloud`]);
  });

  it('retries a rate-limited model after its Retry-After and keeps it when it then answers', async () => {
    const run = await runStep(
      'retries after retry-after',
      { models: { ...fakeModels, 'cloud-mini': { status: 429, statusTimes: 1, retryAfterSeconds: 1 } } },
      { prompt: 'Say hi', model: 'cloud-mini' },
    );
    expect(run.result?.route.attempts).toEqual([{ modelId: 'cloud-mini', provider: 'cloud', outcome: 'ok' }]);
    expect(run.requests.map((request) => request.model)).toEqual(['cloud-mini', 'cloud-mini']);
  });

  it('escalates to a better model when the local answer does not match the step schema', async () => {
    const run = await runStep(
      'escalates on invalid output',
      { models: { ...fakeModels, 'local-coder': { invalidRate: 1, invalidReply: 'sorry, no JSON today' } } },
      {
        prompt: 'Classify this ticket',
        schema: { type: 'object', properties: { label: { type: 'string' } }, required: ['label'] },
      },
    );
    const { result, route } = run.result!;
    expect(result.json).toEqual({ label: 'simulated' });
    expect(route.attempts.map((attempt) => [attempt.modelId, attempt.outcome])).toEqual([
      ['local-coder', 'invalid-output'],
      ['cloud-mini', 'ok'],
    ]);
  });

  it('fails with BudgetExceeded when no candidate fits the budget, and no call reaches a model', async () => {
    const run = await runStep(
      'fails over budget',
      { models: fakeModels },
      { prompt: 'Prove the theorem', requires: { capabilities: ['reasoning'] }, maxTokens: 2000 },
      { budget: { limitUsd: 0.01, spentUsd: 0.005 } },
    );
    expect(run.failure).toMatchObject({ type: 'BudgetExceeded', nonRetryable: true });
    expect(run.failure?.message).toMatch(/run .* would spend \$0\.025\d* .* against its budget of \$0\.01/);
    expect(run.requests).toEqual([]);
    expect((await run.ledger.entries()).map((entry) => entry.outcome)).toEqual(['budget-exceeded']);
  });

  it('fails with NoModelAvailable, naming every attempt and how to configure a provider, when all candidates fail', async () => {
    const down = { status: 503 };
    const run = await runStep(
      'fails when every candidate fails',
      { models: { 'local-coder': down, 'cloud-mini': down, 'cloud-big': down } },
      { prompt: 'Anything' },
    );
    expect(run.failure?.type).toBe('NoModelAvailable');
    expect(run.failure?.message).toMatch(
      /^step "step" got no answer from any model\. Tried local-coder on local: unavailable/,
    );
    expect(run.failure?.message).toContain('OLLAMA_HOST');
    expect(run.failure?.details?.[0]).toMatchObject({
      attempts: [{ outcome: 'unavailable' }, { outcome: 'unavailable' }, { outcome: 'unavailable' }],
    });
  });
});
