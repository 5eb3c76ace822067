import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeModelServer, type FakeModelServer } from '../src/fake-models/server';
import { loadScript, type FakeScriptInput } from '../src/fake-models/script';
import { TroupeGoal } from '../src/engine/search-attributes';
import { isClosed, postJson, readExample, waitForRun, type Api } from './helpers/harness';
import { startStack, type Stack } from './helpers/stack';
import { shippedCatalogueOn, shippedModels } from './models/helpers';

let stack: Stack;
let api: Api;
let fake: FakeModelServer;

const plan = (steps: unknown[]): FakeScriptInput => ({
  models: shippedModels,
  replies: [
    { match: { agent: 'planner' }, json: { steps } },
    {
      match: { agent: 'code-generator' },
      json: { summary: 'Added greet() in src/greet.js', filesChanged: ['src/greet.js'] },
    },
    {
      match: { agent: 'docs-writer' },
      json: { summary: 'Documented greet() in the README', filesChanged: ['README.md'] },
    },
    {
      match: { agent: 'summarizer' },
      json: { summary: 'greet() is written and documented.', bullets: ['code', 'docs'] },
    },
  ],
});

const goodPlan = [
  { id: 'code', agent: 'code-generator', task: 'Write greet(name)', dependsOn: [] },
  { id: 'docs', agent: 'docs-writer', task: 'Document greet in the README', dependsOn: ['code'] },
];

beforeAll(async () => {
  fake = await startFakeModelServer();
  stack = await startStack('goal runs', { agents: true, models: shippedCatalogueOn(fake).runtime });
  ({ api } = stack);
});

afterAll(async () => {
  await stack?.stop();
  await fake?.close();
});

async function startGoal(body: Record<string, unknown>) {
  const started = await postJson(`${api.baseUrl}/api/runs`, body);
  expect(started.status, JSON.stringify(started.body)).toBe(201);
  return waitForRun(api, started.body.runId as string, isClosed, 90_000);
}

describe('runs from a goal', () => {
  it('plans the goal, runs the planned agent steps in order, and sums them up', async () => {
    fake.setScript(plan(goodPlan));
    const before = fake.requests.length;
    const run = await startGoal({ goal: 'Add a greet function, with docs' });
    expect(run.status, run.error).toBe('completed');
    const described = await stack.env.client.workflow.getHandle(run.runId).describe();
    expect(described.typedSearchAttributes.get(TroupeGoal)).toBe('Add a greet function, with docs');
    const step = (id: string) => run.steps.find((candidate) => candidate.id === id);
    expect(run.steps.map((candidate) => [candidate.id, candidate.status]).sort()).toEqual([
      ['plan', 'completed'],
      ['plan_code', 'completed'],
      ['plan_docs', 'completed'],
      ['summarize', 'completed'],
    ]);
    const [planned, code, docs] = [step('plan'), step('plan_code'), step('plan_docs')];
    expect(planned?.output).toMatchObject({
      goal: 'Add a greet function, with docs',
      steps: [
        { id: 'plan_code', agent: 'code-generator', dependsOn: ['plan'] },
        { id: 'plan_docs', agent: 'docs-writer', dependsOn: ['plan', 'plan_code'] },
      ],
    });
    expect(Date.parse(docs?.startedAt ?? '')).toBeGreaterThanOrEqual(Date.parse(code?.endedAt ?? ''));
    expect(Date.parse(step('summarize')?.startedAt ?? '')).toBeGreaterThanOrEqual(
      Date.parse(docs?.endedAt ?? ''),
    );
    // The planned steps publish what they did; the summarizer reads it in the shared context.
    const summarizer = fake.requests.slice(before).find((request) => request.agent === 'summarizer');
    expect(summarizer?.prompt).toContain('Documented greet() in the README');
    expect(summarizer?.prompt).toContain('Added greet() in src/greet.js');
    expect(run.output).toEqual({ summary: 'greet() is written and documented.', bullets: ['code', 'docs'] });
  });

  it('runs examples/plan.yaml: the step after the plan step waits for the planned steps', async () => {
    fake.setScript(loadScript(fileURLToPath(new URL('../config/fake-models/plan.yaml', import.meta.url))));
    const run = await startGoal({
      spec: await readExample('plan.yaml'),
      input: { goal: 'Add a greet function, with docs' },
    });
    expect(run.status, run.error).toBe('completed');
    const step = (id: string) => run.steps.find((candidate) => candidate.id === id);
    expect(step('summarize')?.status).toBe('completed');
    for (const planned of ['plan_docs', 'plan_tests'])
      expect(Date.parse(step('summarize')?.startedAt ?? '')).toBeGreaterThanOrEqual(
        Date.parse(step(planned)?.endedAt ?? ''),
      );
    expect(run.output).toEqual({
      summary: 'greet() exists and the README documents it.',
      bullets: ['Added greet() in src/greet.js', 'Documented greet() in the README'],
    });
  });

  it('runs a planned agent: auto step with the agent the bandit chose among the plan’s agents, and says why', async () => {
    fake.setScript(loadScript(fileURLToPath(new URL('../config/fake-models/plan.yaml', import.meta.url))));
    const before = fake.requests.length;
    const run = await startGoal({
      spec: await readExample('plan.yaml'),
      input: { goal: 'Add a greet function, with tests' },
    });
    expect(run.status, run.error).toBe('completed');
    const step = (id: string) => run.steps.find((candidate) => candidate.id === id);
    expect(step('plan')?.output).toMatchObject({
      steps: expect.arrayContaining([
        {
          id: 'plan_tests',
          agent: 'auto',
          needs: ['tests'],
          task: 'Test greet(name)',
          dependsOn: ['plan', 'plan_code'],
        },
      ]),
    });
    const tests = step('plan_tests');
    expect(tests?.status).toBe('completed');
    // The plan step of examples/plan.yaml lists 4 agents; the tester is the one of them providing tests.
    expect(tests?.choice).toMatchObject({
      agent: 'tester',
      needs: ['tests'],
      explored: false,
      reason: expect.stringMatching(/^tester: .*; the only agent of 4 providing tests$/),
      alternatives: [{ agent: 'tester', observations: expect.any(Number), estimate: expect.any(Number) }],
    });
    expect(tests?.output).toMatchObject({
      agent: 'tester',
      output: { passed: true, summary: 'greet() passes its 2 tests', failures: [] },
    });
    expect(Date.parse(tests?.startedAt ?? '')).toBeGreaterThanOrEqual(
      Date.parse(step('plan_code')?.endedAt ?? ''),
    );
    const asked = fake.requests.slice(before).filter((request) => request.agent === 'tester');
    expect(asked).toHaveLength(1);
    expect(asked[0]?.prompt).toContain('Test greet(name)');
  });

  it('never reaches an agent the plan may not use through agent: auto: a goal’s plan cannot deploy', async () => {
    fake.setScript(plan([{ id: 'ship', agent: 'auto', needs: ['deploy'], task: 'Ship it', dependsOn: [] }]));
    const before = fake.requests.length;
    const run = await startGoal({ goal: 'Ship greet to production' });
    expect(run.status).toBe('failed');
    const ship = run.steps.find((step) => step.id === 'plan_ship');
    expect(ship?.status).toBe('failed');
    expect(ship?.error).toMatch(
      /step "plan_ship": none of its candidates \(architecture-advisor, browser, code-generator, .*\) provides all of deploy/,
    );
    expect(ship?.error).not.toMatch(/\(.*\bdeploy\b.*\) provides/);
    const later = fake.requests.slice(before).map((request) => request.agent);
    expect(later).toEqual(['planner']);
  });

  it('fails the plan step, naming what is wrong, and starts none of a bad plan', async () => {
    fake.setScript(
      plan([
        { id: 'code', agent: 'wizard', task: 'Cast it', dependsOn: [] },
        { id: 'docs', agent: 'docs-writer', task: 'Write it up', dependsOn: ['review'] },
      ]),
    );
    const before = fake.requests.length;
    const run = await startGoal({ goal: 'Do something odd' });
    expect(run.status).toBe('failed');
    expect(run.error).toContain('the plan for "Do something odd" cannot run');
    expect(run.error).toContain('step "code" names agent "wizard"');
    expect(run.error).toContain('step "docs" depends on "review", which the plan does not have');
    expect(run.steps.map((step) => [step.id, step.status])).toEqual([
      ['plan', 'failed'],
      ['summarize', 'skipped'],
    ]);
    // The planner's answer and what it cost stay on the failed step.
    expect(run.steps[0]?.output).toMatchObject({
      goal: 'Do something odd',
      answer: { steps: [{ id: 'code', agent: 'wizard' }, { id: 'docs' }] },
    });
    expect(run.steps[0]?.model?.modelId).toBeTruthy();
    const later = fake.requests.slice(before).map((request) => request.agent);
    expect(later.filter((agent) => agent !== 'planner')).toEqual([]);
  });

  it('refuses a plan whose steps wait for each other, naming the cycle', async () => {
    fake.setScript(
      plan([
        { id: 'a', agent: 'code-generator', task: 'first', dependsOn: ['b'] },
        { id: 'b', agent: 'docs-writer', task: 'second', dependsOn: ['a'] },
      ]),
    );
    const run = await startGoal({ goal: 'Go round in circles' });
    expect(run.status).toBe('failed');
    expect(run.error).toMatch(/plan_a -> plan_b -> plan_a|plan_b -> plan_a -> plan_b/);
  });

  it('answers 400 naming the field for a bad goal request', async () => {
    const empty = await postJson(`${api.baseUrl}/api/runs`, { goal: '   ' });
    expect(empty.status).toBe(400);
    expect(empty.body.errors).toEqual([
      expect.objectContaining({ path: 'goal', message: 'goal must say what the run should achieve' }),
    ]);
    const budget = await postJson(`${api.baseUrl}/api/runs`, { goal: 'x', budget: { usd: -1 } });
    expect(budget.status).toBe(400);
    expect(budget.body.errors).toEqual([expect.objectContaining({ path: 'budget.usd' })]);
  });

  it('starts a goal from the CLI: troupe run "<goal>" --follow', async () => {
    fake.setScript(plan(goodPlan));
    const cli = fileURLToPath(new URL('../bin/troupe', import.meta.url));
    const child = spawn(process.execPath, [cli, 'run', 'Add a greet function', '--follow'], {
      env: { ...process.env, TROUPE_API_URL: api.baseUrl },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    expect(code, stderr).toBe(0);
    expect(stderr).toContain('plan_docs: completed');
    expect(JSON.parse(stdout)).toEqual({
      summary: 'greet() is written and documented.',
      bullets: ['code', 'docs'],
    });
  });
});
