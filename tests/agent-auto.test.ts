import { afterAll, beforeAll, expect, it } from 'vitest';
import { startFakeModelServer, type FakeModelServer } from '../src/fake-models/server';
import { outcomeStoreFor } from '../src/api/evaluations-routes';
import { postJson, waitForRunEnded, type Api } from './helpers/harness';
import { startStack, type Stack } from './helpers/stack';
import { shippedCatalogueOn, shippedModels } from './models/helpers';

let stack: Stack;
let api: Api;
let fake: FakeModelServer;

beforeAll(async () => {
  fake = await startFakeModelServer({
    script: {
      models: shippedModels,
      replies: [
        {
          match: { agent: 'tester', prompt: '[check turn 1]' },
          json: { passed: true, summary: 'All 3 tests pass.', failures: [] },
        },
        {
          match: { agent: 'reviewer', prompt: '[judge turn 1]' },
          json: { verdict: 'approve', score: 8, reasons: ['small and tested'] },
        },
      ],
    },
  });
  stack = await startStack('agent auto', { agents: true, models: shippedCatalogueOn(fake).runtime });
  ({ api } = stack);
}, 180_000);

afterAll(async () => {
  await stack?.stop();
  await fake?.close();
});

async function startRun(spec: unknown) {
  return postJson(`${api.baseUrl}/api/runs`, { spec });
}

it('runs the tester for agent: auto with needs [tests], and the step and its outcome record say why', async () => {
  const started = await startRun({
    name: 'auto-tests',
    steps: [
      { id: 'check', kind: 'agent', agent: 'auto', needs: ['tests'], with: { task: 'Run the tests.' } },
    ],
  });
  expect(started.status, JSON.stringify(started.body)).toBe(201);
  const runId = started.body.runId as string;
  const run = await waitForRunEnded(stack.env, api, runId, 90_000);
  expect(run.status, run.error).toBe('completed');

  const step = run.steps[0];
  expect(step?.output).toMatchObject({ agent: 'tester', output: { passed: true } });
  expect(step?.choice).toMatchObject({
    agent: 'tester',
    needs: ['tests'],
    explored: false,
    alternatives: [{ agent: 'tester', estimate: expect.any(Number), observations: 0 }],
  });
  expect(step?.choice?.reason).toMatch(
    /^tester: highest expected reward .* the only agent of 12 providing tests$/,
  );
  expect(fake.requests.filter((r) => r.prompt?.includes('[check turn')).map((r) => r.agent)).toEqual([
    'tester',
  ]);

  const records = await outcomeStoreFor(api.config).list();
  const record = records.find((r) => r.runId === runId && r.stepId === 'check');
  expect(record).toMatchObject({
    agent: 'tester',
    success: true,
    features: { stepKind: 'agent', capabilities: ['tests'] },
    choice: { agent: 'tester', reason: step?.choice?.reason, alternatives: step?.choice?.alternatives },
  });

  // The choice sits in history: a replay of the run reuses it, with no nondeterminism.
  await stack.replay(runId);
}, 120_000);

it('with explore: false on the spec, chooses the specialist reviewer over the security reviewer and lists both', async () => {
  const started = await startRun({
    name: 'auto-review',
    explore: false,
    steps: [
      { id: 'judge', kind: 'agent', agent: 'auto', needs: ['review'], with: { task: 'Review the change.' } },
    ],
  });
  expect(started.status, JSON.stringify(started.body)).toBe(201);
  const run = await waitForRunEnded(stack.env, api, started.body.runId as string, 90_000);
  expect(run.status, run.error).toBe('completed');
  const choice = run.steps[0]?.choice;
  expect(choice?.agent).toBe('reviewer');
  expect(choice?.reason).toMatch(/^reviewer: .*2 of 12 agents provide review; exploration is off$/);
  expect(choice?.alternatives.map((a) => a.agent)).toEqual(['reviewer', 'security-reviewer']);
  const [reviewer, security] = choice?.alternatives ?? [];
  expect(reviewer!.estimate).toBeGreaterThan(security!.estimate);
  expect(run.steps[0]?.output).toMatchObject({ agent: 'reviewer', output: { verdict: 'approve' } });
}, 120_000);

it("undoes an agent: auto step with the chosen agent's compensation when a later step fails", async () => {
  const started = await startRun({
    name: 'auto-undo',
    steps: [
      { id: 'check', kind: 'agent', agent: 'auto', needs: ['tests'], with: { task: 'Run the tests.' } },
      { id: 'breaks', kind: 'tool', tool: 'shell', dependsOn: ['check'], with: { run: 'exit 3' } },
    ],
  });
  expect(started.status, JSON.stringify(started.body)).toBe(201);
  const run = await waitForRunEnded(stack.env, api, started.body.runId as string, 90_000);
  expect(run.status).toBe('failed');
  expect(run.steps[0]?.choice?.agent).toBe('tester');
  expect(run.compensations.map((c) => [c.stepId, c.status, c.error])).toEqual([
    ['check', 'completed', undefined],
  ]);
}, 120_000);

it('refuses, with 400 and the field, a capability no agent has, needs without auto, and auto without needs', async () => {
  const agentStep = (extra: Record<string, unknown>) => ({
    name: 'bad-auto',
    steps: [{ id: 'x', kind: 'agent', with: { task: 'Do it.' }, ...extra }],
  });
  const unknown = await startRun(agentStep({ agent: 'auto', needs: ['tests', 'telepathy'] }));
  expect(unknown.status).toBe(400);
  expect(unknown.body.errors).toEqual([
    {
      path: 'spec.steps[0].needs[1]',
      message: expect.stringMatching(
        /^no agent provides "telepathy"; the registry's capabilities are .*tests/,
      ),
    },
  ]);
  const stray = await startRun(agentStep({ agent: 'tester', needs: ['tests'] }));
  expect(stray.status).toBe(400);
  expect(stray.body.errors).toEqual([
    { path: 'spec.steps[0].needs', message: expect.stringMatching(/^needs applies only to agent: auto/) },
  ]);
  const bare = await startRun(agentStep({ agent: 'auto' }));
  expect(bare.status).toBe(400);
  expect(bare.body.errors).toEqual([
    {
      path: 'spec.steps[0].needs',
      message: expect.stringMatching(/^agent: auto needs a list of capabilities/),
    },
  ]);
});
