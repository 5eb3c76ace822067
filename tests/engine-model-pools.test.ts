import { afterAll, beforeAll, expect, it } from 'vitest';
import { startFakeModelServer, type FakeModelServer } from '../src/fake-models/server';
import { allPools, PoolName } from '../src/workers/pools';
import { createTroupeWorkers } from '../src/workers/worker';
import { startStack, type Stack } from './helpers/stack';
import { shippedCatalogueOn, shippedModels } from './models/helpers';
import { isClosed, postJson, readExample, waitForRun } from './helpers/harness';
import { testDataConverter } from './helpers/payload-codec';

let stack: Stack;
let fake: FakeModelServer;
let stopWorkers: (() => Promise<void>) | undefined;

beforeAll(async () => {
  fake = await startFakeModelServer();
  fake.setScript({ models: shippedModels });
  const catalogue = shippedCatalogueOn(fake);
  stack = await startStack('engine model pools', { models: catalogue.runtime });
  // The same workers, but nobody serves the local-models pool: its task queue has no poller.
  await stack.stopWorker();
  const { api, env } = stack;
  const workers = await createTroupeWorkers({
    connection: env.nativeConnection,
    namespace: api.config.TEMPORAL_NAMESPACE,
    taskQueue: api.config.TROUPE_TASK_QUEUE,
    dataDir: api.config.TROUPE_DATA_DIR,
    dataConverter: testDataConverter,
    workflowBundle: stack.bundle,
    models: catalogue.runtime(api),
    pools: allPools.filter((pool) => pool !== PoolName.LocalModels),
  });
  const running = workers.run();
  stopWorkers = async () => {
    workers.shutdown();
    await running;
  };
});

afterAll(async () => {
  await stopWorkers?.();
  await stack?.stop();
  await fake?.close();
});

it('answers examples/ask.yaml on the cloud model when the local-models pool is stopped, and says the local pool did not answer', async () => {
  const started = await postJson(`${stack.api.baseUrl}/api/runs`, {
    spec: await readExample('ask.yaml'),
    input: { question: 'is anyone local?' },
  });
  expect(started.status, JSON.stringify(started.body)).toBe(201);
  // The acceptance bound: the call waits 10 s for the local pool once, then the cloud model answers.
  const run = await waitForRun(stack.api, started.body.runId as string, isClosed, 30_000);
  expect(run.status, run.error).toBe('completed');
  const model = run.steps[0]?.model;
  expect(model?.provider).toBe('openai');
  const local = model?.attempts.filter((attempt) => attempt.provider === 'ollama') ?? [];
  expect(local.length).toBeGreaterThan(0);
  expect(local[0]?.error).toMatch(/^the local pool did not answer: no worker picked the call up/);
  // The pool's other local models are not waited for again.
  for (const attempt of local.slice(1))
    expect(attempt.error).toMatch(/^skipped: the local pool did not answer/);
  expect(model?.attempts.at(-1)).toMatchObject({ provider: 'openai', outcome: 'ok' });
  expect(run.output).toMatch(/^\[simulated\] /);
}, 60_000);
