import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createModelActivities } from '../../src/activities/model-activities';
import { startFakeModelServer, type FakeModelServer } from '../../src/fake-models/server';
import { CatalogueError, loadCatalogue } from '../../src/models/catalogue-loader';
import { MemoryCostLedger } from '../../src/models/cost-ledger';
import { createModelRuntime } from '../../src/models/model-runtime';
import { activityEnv } from './helpers';

let fake: FakeModelServer;

beforeAll(async () => {
  fake = await startFakeModelServer();
});
afterAll(() => fake.close());

describe('config/models.yaml', () => {
  it('routes and answers through the fake server once OLLAMA_HOST, OPENAI_BASE_URL and OPENAI_API_KEY point there', async () => {
    const env = {
      OLLAMA_HOST: fake.url,
      OPENAI_BASE_URL: fake.openaiUrl,
      OPENAI_API_KEY: 'fake',
      TROUPE_TASK_QUEUE: 'troupe',
    };
    const catalogue = loadCatalogue({ env });
    expect(catalogue.source).toBe('config/models.yaml');
    const runtime = createModelRuntime({ catalogue, env, ledger: new MemoryCostLedger() });
    const { planModelRoute, callModel } = createModelActivities({ runtime });
    const plan = await activityEnv().run(planModelRoute, {
      stepId: 'fix',
      prompt: 'Fix the failing test',
      requires: { capabilities: ['code'] },
    });
    expect(plan.chain.map((candidate) => [candidate.modelId, candidate.taskQueue])).toEqual([
      ['qwen2.5-coder:7b', 'troupe-models-ollama'],
      ['gpt-4o-mini', 'troupe-models-openai'],
      ['gpt-4o', 'troupe-models-openai'],
    ]);
    expect(plan.skipped.map((skip) => skip.modelId)).toEqual([
      'llama3.1:8b',
      'deepseek-chat',
      'deepseek-reasoner',
    ]);
    const result = await activityEnv().run(callModel, {
      modelId: plan.chain[0]!.modelId,
      runId: 'r',
      stepId: 'fix',
      prompt: 'hello there',
    });
    expect(result).toMatchObject({
      modelId: 'qwen2.5-coder:7b',
      provider: 'ollama',
      costUsd: 0,
      simulated: true,
    });
    expect(result.text).toBe('[simulated] Hello from qwen2.5-coder:7b.');
  });

  it('names the file TROUPE_MODELS_FILE points at when it does not exist', () => {
    expect(() => loadCatalogue({ env: { TROUPE_MODELS_FILE: '/nowhere/models.yaml' } })).toThrow(
      CatalogueError,
    );
    expect(() => loadCatalogue({ env: { TROUPE_MODELS_FILE: '/nowhere/models.yaml' } })).toThrow(
      'the model catalogue /nowhere/models.yaml is invalid:\n  (file): the file does not exist; set TROUPE_MODELS_FILE to a catalogue, or restore config/models.yaml',
    );
  });
});
