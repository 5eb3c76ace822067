import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startFakeModelServer, type FakeModelServer } from '../src/fake-models/server';
import { loadCatalogue } from '../src/models/catalogue-loader';
import { estimateInputTokens } from '../src/models/model-caller';
import { estimateCallCostUsd, usd } from '../src/models/model-cost';
import { isClosed, postJson, waitForRun } from './helpers/harness';
import { startStack, type Stack } from './helpers/stack';
import { shippedCatalogueOn, shippedModels } from './models/helpers';

let stack: Stack;
let fake: FakeModelServer;

beforeAll(async () => {
  fake = await startFakeModelServer();
  stack = await startStack('budget holds', { models: shippedCatalogueOn(fake).runtime });
});

afterAll(async () => {
  await stack?.stop();
  await fake?.close();
});

beforeEach(() => fake.setScript({ models: shippedModels }));

const prompt = 'Name one saga pattern.';
const maxTokens = 400;
const call = { model: 'gpt-4o', prompt, maxTokens };
/** A child run of one such call. */
const childSpec = { name: 'child', steps: [{ id: 'inner', kind: 'model', with: call }] };

/** The most one such call may cost, as the budget check estimates it. */
function estimateUsd(): number {
  const catalogue = loadCatalogue({ env: shippedCatalogueOn(fake).env, taskQueuePrefix: 'unused' });
  const model = catalogue.models.find((m) => m.id === 'gpt-4o')!;
  return estimateCallCostUsd(model.pricing, estimateInputTokens({ prompt }), maxTokens);
}

async function run(spec: unknown) {
  const started = await postJson(`${stack.api.baseUrl}/api/runs`, { spec, input: {} });
  expect(started.status, JSON.stringify(started.body)).toBe(201);
  return waitForRun(stack.api, started.body.runId as string, isClosed);
}

/** Room for one call's estimate, and (as the premise checks) not for a second after the first's real cost. */
const budgetForOne = () => estimateUsd() * 1.01;

/** Each step's status and error, for a failure message. */
const told = (result: Awaited<ReturnType<typeof run>>) =>
  JSON.stringify(result.steps.map(({ id, status, error }) => ({ id, status, error })));

describe('budgets that hold', () => {
  it('lets only one of two parallel model steps through a budget that fits one, the other waiting for its cost', async () => {
    const budget = budgetForOne();
    const result = await run({
      name: 'two-at-once',
      budget: { usd: budget },
      steps: [
        { id: 'left', kind: 'model', with: call },
        { id: 'right', kind: 'model', with: call },
      ],
    });
    const statuses = result.steps.map((step) => step.status).sort();
    expect(statuses, told(result)).toEqual(['completed', 'failed']);
    expect(result.status).toBe('failed');
    const refused = result.steps.find((step) => step.status === 'failed')!;
    const cost = result.steps.find((step) => step.status === 'completed')?.model?.costUsd ?? 0;
    expect(cost + estimateUsd(), 'the premise: a second call does not fit').toBeGreaterThan(budget);
    expect(refused.error).toMatch(/BudgetExceeded/);
    // The refused call waited for the other to settle: it saw that call's real cost as spent, not an
    // estimate still in flight.
    expect(refused.error).toContain(`(spent ${usd(cost)} + up to ${usd(estimateUsd())}`);
    expect(refused.error).not.toMatch(/in flight/);
    expect(result.costUsd).toBe(cost);
    expect(result.costUsd).toBeLessThanOrEqual(budget);
  });

  it("counts a child spec's spend against its parent's budget, and gives the child only what is left", async () => {
    const result = await run({
      name: 'parent',
      budget: { usd: budgetForOne() },
      steps: [
        { id: 'sub', kind: 'subworkflow', with: { spec: childSpec } },
        { id: 'after', kind: 'model', dependsOn: ['sub'], with: call },
      ],
    });
    expect(
      result.steps.map((step) => step.status),
      told(result),
    ).toEqual(['completed', 'failed']);
    // The parent's call saw the child's spend as its own.
    expect(result.costUsd).toBeGreaterThan(0);
    expect(result.steps[1]?.error).toContain(`(spent ${usd(result.costUsd)} + up to ${usd(estimateUsd())}`);
  });

  it('refuses a child its call when the parent has spent too much for it', async () => {
    const result = await run({
      name: 'parent-first',
      budget: { usd: budgetForOne() },
      steps: [
        { id: 'first', kind: 'model', with: call },
        { id: 'sub', kind: 'subworkflow', dependsOn: ['first'], with: { spec: childSpec } },
      ],
    });
    expect(
      result.steps.map((step) => step.status),
      told(result),
    ).toEqual(['completed', 'failed']);
    // The child was given what was left, which is less than its call's estimate.
    expect(result.steps[1]?.error).toMatch(/BudgetExceeded/);
    expect(result.steps[1]?.error).toContain(`against its budget of ${usd(budgetForOne() - result.costUsd)}`);
    expect(result.costUsd).toBe(result.steps[0]?.model?.costUsd);
  });
});
