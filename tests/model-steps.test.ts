import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startFakeModelServer, type FakeModelServer } from '../src/fake-models/server';
import { TroupeCost } from '../src/engine/search-attributes';
import { startStack, type Stack } from './helpers/stack';
import { shippedCatalogueOn, shippedModels } from './models/helpers';
import { isClosed, postJson, readExample, waitForRun, type Api } from './helpers/harness';

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
