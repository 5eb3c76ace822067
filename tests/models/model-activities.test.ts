import { ApplicationFailure, CancelledFailure } from '@temporalio/common';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createModelActivities } from '../../src/activities/model-activities';
import { startFakeModelServer, type FakeModelServer } from '../../src/fake-models/server';
import type { FakeScriptInput } from '../../src/fake-models/script';
import { utcDay } from '../../src/models/cost-ledger';
import type { CallModelInput } from '../../src/models/model-caller';
import { activityEnv, closedPort, fakeModels, testRuntime } from './helpers';

let fake: FakeModelServer;
const baseScript: FakeScriptInput = { models: fakeModels };

beforeAll(async () => {
  fake = await startFakeModelServer({ script: baseScript });
});
afterAll(() => fake.close());
beforeEach(() => fake.setScript(baseScript));

const call = (modelId: string, extra: Partial<CallModelInput> = {}): CallModelInput => ({
  modelId,
  runId: 'run-1',
  stepId: 'summarise',
  agent: 'writer',
  prompt: 'Summarise the release notes',
  ...extra,
});

async function failure(promise: Promise<unknown>): Promise<ApplicationFailure> {
  try {
    await promise;
  } catch (err) {
    expect(err).toBeInstanceOf(ApplicationFailure);
    return err as ApplicationFailure;
  }
  throw new Error('the activity succeeded');
}

describe('callModel', () => {
  it('calls the model and records run, step, agent, model, tokens, cost, latency and outcome in the ledger', async () => {
    const { runtime, ledger } = await testRuntime(fake);
    const activities = createModelActivities({ runtime });
    const result = await activityEnv().run(activities.callModel, call('cloud-mini'));
    expect(result).toMatchObject({ modelId: 'cloud-mini', provider: 'cloud', simulated: true });
    expect(result.text).toMatch(/^\[simulated\] /);
    expect(result.costUsd).toBeCloseTo(
      (result.usage.inputTokens * 0.15 + result.usage.outputTokens * 0.6) / 1e6,
      12,
    );
    const [entry] = await ledger.entries();
    expect(entry).toMatchObject({
      runId: 'run-1',
      stepId: 'summarise',
      agent: 'writer',
      modelId: 'cloud-mini',
      provider: 'cloud',
      inputTokens: result.usage.inputTokens,
      outputTokens: result.usage.outputTokens,
      costUsd: result.costUsd,
      outcome: 'ok',
      simulated: true,
    });
    expect(entry?.latencyMs).toBeGreaterThanOrEqual(0);
  });

  it('records compute seconds instead of a price for local models', async () => {
    const { runtime, ledger } = await testRuntime(fake);
    const result = await activityEnv().run(createModelActivities({ runtime }).callModel, call('local-coder'));
    expect(result.costUsd).toBe(0);
    expect(result.computeSeconds).toBeGreaterThanOrEqual(0);
    expect((await ledger.entries())[0]).toMatchObject({ costUsd: 0, computeSeconds: expect.any(Number) });
  });

  it('refuses a call over the run budget before it reaches the model server', async () => {
    const { runtime, ledger } = await testRuntime(fake);
    const before = fake.requests.length;
    const err = await failure(
      activityEnv().run(
        createModelActivities({ runtime }).callModel,
        call('cloud-big', { maxTokens: 1000, budget: { limitUsd: 0.005, spentUsd: 0.001 } }),
      ),
    );
    expect(err.type).toBe('BudgetExceeded');
    expect(err.nonRetryable).toBe(true);
    expect(err.message).toMatch(
      /^run run-1 would spend \$0\.011\d* \(spent \$0\.001 \+ up to \$0\.01 for this call to cloud-big\) against its budget of \$0\.005/,
    );
    expect(fake.requests.length).toBe(before);
    expect((await ledger.entries()).map((entry) => entry.outcome)).toEqual(['budget-exceeded']);
  });

  it('refuses a call over the daily budget, counting what the ledger holds for today', async () => {
    const { runtime, ledger } = await testRuntime(fake, { budgets: { dailyUsd: 0.01 } });
    await ledger.record({
      ts: new Date().toISOString(),
      runId: 'earlier',
      stepId: 's',
      modelId: 'cloud-big',
      provider: 'cloud',
      inputTokens: 1000,
      outputTokens: 800,
      costUsd: 0.0095,
      latencyMs: 10,
      outcome: 'ok',
    });
    const before = fake.requests.length;
    const err = await failure(
      activityEnv().run(
        createModelActivities({ runtime }).callModel,
        call('cloud-mini', { maxTokens: 1000 }),
      ),
    );
    expect(err.type).toBe('BudgetExceeded');
    expect(err.message).toContain(`model calls on ${utcDay(new Date())} (UTC) would spend $0.0101`);
    expect(err.message).toContain('against the daily budget of $0.01 (budgets.dailyUsd in test-models.yaml)');
    expect(fake.requests.length).toBe(before);
  });

  it('turns a 429 into a retryable failure whose next retry waits for Retry-After', async () => {
    fake.setScript({ models: { ...fakeModels, 'cloud-mini': { status: 429, retryAfterSeconds: 2 } } });
    const { runtime } = await testRuntime(fake);
    const err = await failure(
      activityEnv().run(createModelActivities({ runtime }).callModel, call('cloud-mini')),
    );
    expect(err).toMatchObject({ type: 'ModelRateLimited', nonRetryable: false, nextRetryDelay: 2000 });
  });

  it('fails over at once when Retry-After is longer than routing.maxRateLimitWaitMs', async () => {
    fake.setScript({ models: { ...fakeModels, 'cloud-mini': { status: 429, retryAfterSeconds: 60 } } });
    const { runtime } = await testRuntime(fake);
    const err = await failure(
      activityEnv().run(createModelActivities({ runtime }).callModel, call('cloud-mini')),
    );
    expect(err).toMatchObject({ type: 'ModelRateLimited', nonRetryable: true });
    expect(err.message).toMatch(
      /Retry-After 60000 ms is longer than routing.maxRateLimitWaitMs, so failing over$/,
    );
  });

  it('marks server errors, hung connections and malformed answers as non-retryable failover failures', async () => {
    fake.setScript({
      models: {
        ...fakeModels,
        'cloud-mini': { status: 502 },
        'cloud-big': { hang: true },
        'local-coder': { malformed: true },
      },
    });
    const { runtime } = await testRuntime(fake);
    const { callModel } = createModelActivities({ runtime });
    const types = [];
    for (const modelId of ['cloud-mini', 'cloud-big', 'local-coder']) {
      const err = await failure(activityEnv().run(callModel, call(modelId)));
      expect(err.nonRetryable).toBe(true);
      types.push(err.type);
    }
    expect(types).toEqual(['ModelUnavailable', 'ModelTimeout', 'ModelMalformedResponse']);
  });

  it('opens the circuit after repeated failures, fails fast without reaching the server, and closes after a good probe', async () => {
    fake.setScript({ models: { ...fakeModels, 'cloud-mini': { status: 500 } } });
    const { runtime } = await testRuntime(fake);
    const { callModel, planModelRoute } = createModelActivities({ runtime });
    for (let i = 0; i < 3; i++) await failure(activityEnv().run(callModel, call('cloud-mini')));
    const reached = fake.requests.length;
    const open = await failure(activityEnv().run(callModel, call('cloud-mini')));
    expect(open.type).toBe('ModelUnavailable');
    expect(open.message).toMatch(/circuit breaker of cloud-mini is open after 3 consecutive failures/);
    expect(fake.requests.length).toBe(reached);
    const plan = await activityEnv().run(planModelRoute, { stepId: 's', prompt: 'x' });
    expect(plan.skipped).toContainEqual({
      modelId: 'cloud-mini',
      reason: 'circuit breaker open after repeated failures',
    });

    fake.setScript(baseScript);
    await new Promise((resolve) => setTimeout(resolve, 450));
    expect(runtime.breakers.state('cloud-mini')).toBe('half-open');
    await activityEnv().run(callModel, call('cloud-mini'));
    expect(runtime.breakers.state('cloud-mini')).toBe('closed');
  });

  it('heartbeats progress while the answer streams', async () => {
    fake.setScript({ models: { ...fakeModels, 'local-coder': { tokensPerSecond: 20 } } });
    const { runtime } = await testRuntime(fake);
    const { env, run } = activityEnv();
    const beats: { outputTokens: number }[] = [];
    env.on('heartbeat', (details: { outputTokens: number }) => beats.push(details));
    await run(
      createModelActivities({ runtime }).callModel,
      call('local-coder', {
        prompt: 'one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen',
      }),
    );
    expect(beats[0]).toMatchObject({ modelId: 'local-coder', outputTokens: 0 });
    expect(beats.some((beat) => beat.outputTokens > 0)).toBe(true);
  });

  it('passes the activity cancellation down to the HTTP call and records the call as cancelled', async () => {
    fake.setScript({ models: { ...fakeModels, 'cloud-mini': { hang: true } } });
    const { runtime, ledger } = await testRuntime(fake);
    const { env, run } = activityEnv();
    const running = run(createModelActivities({ runtime }).callModel, call('cloud-mini'));
    setTimeout(() => env.cancel(), 100);
    await expect(running).rejects.toBeInstanceOf(CancelledFailure);
    expect((await ledger.entries())[0]?.outcome).toBe('cancelled');
  });
});

describe('planModelRoute', () => {
  it('plans local first and skips models whose provider failed its health probe', async () => {
    const port = await closedPort();
    const { runtime } = await testRuntime(fake, {
      providers: [
        { id: 'local', kind: 'ollama', baseUrl: `http://127.0.0.1:${port}` },
        { id: 'cloud', kind: 'openai', baseUrl: fake.openaiUrl, apiKeyEnv: 'TEST_CLOUD_KEY' },
      ],
    });
    const plan = await activityEnv().run(createModelActivities({ runtime }).planModelRoute, {
      stepId: 's',
      prompt: 'Write a haiku',
      requires: { capabilities: ['code'] },
    });
    expect(plan.chain.map((candidate) => candidate.modelId)).toEqual(['cloud-mini', 'cloud-big']);
    expect(plan.skipped[0]?.reason).toMatch(
      new RegExp(`^provider local is down: .*ECONNREFUSED 127.0.0.1:${port}`),
    );
  });

  it('with no provider reachable, fails naming each provider it tried and how to configure one', async () => {
    const port = await closedPort();
    const { runtime } = await testRuntime(fake, {
      providers: [
        { id: 'local', kind: 'ollama', baseUrl: `http://127.0.0.1:${port}` },
        { id: 'cloud', kind: 'openai', baseUrl: 'https://api.openai.com/v1', apiKeyEnv: 'NO_SUCH_KEY' },
      ],
    });
    const err = await failure(
      activityEnv().run(createModelActivities({ runtime }).planModelRoute, {
        stepId: 'draft',
        prompt: 'hi',
      }),
    );
    expect(err).toMatchObject({ type: 'NoModelAvailable', nonRetryable: true });
    expect(err.message).toContain('no model can take step "draft"');
    expect(err.message).toContain(
      `local at http://127.0.0.1:${port} (down: GET /api/tags is unreachable: connect ECONNREFUSED 127.0.0.1:${port})`,
    );
    expect(err.message).toContain(
      'cloud at https://api.openai.com/v1 (unconfigured: no API key: set NO_SUCH_KEY)',
    );
    for (const hint of [
      'OLLAMA_HOST',
      'OPENAI_API_KEY',
      'OPENAI_BASE_URL',
      'config/models.yaml',
      'TROUPE_MODELS_FILE',
    ]) {
      expect(err.message).toContain(hint);
    }
  });

  it('refuses a pinned model that is not in the catalogue', async () => {
    const { runtime } = await testRuntime(fake);
    const err = await failure(
      activityEnv().run(createModelActivities({ runtime }).planModelRoute, {
        stepId: 's',
        prompt: 'x',
        model: 'gpt-9',
      }),
    );
    expect(err).toMatchObject({ type: 'InvalidModelInput', nonRetryable: true });
    expect(err.message).toBe(
      'model "gpt-9" is not in the catalogue; it has: local-coder, cloud-mini, cloud-big',
    );
  });
});
