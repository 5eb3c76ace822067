import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { outcomeStoreFor } from '../src/api/evaluations-routes';
import type { CollaborationRecord } from '../src/engine/run-snapshot';
import { loadScript } from '../src/fake-models/script';
import { defaultScriptPath, startFakeModelServer, type FakeModelServer } from '../src/fake-models/server';
import { postJson, readExample, waitForRunEnded, type Api } from './helpers/harness';
import { startStack, type Stack } from './helpers/stack';
import { shippedCatalogueOn } from './models/helpers';

let stack: Stack;
let api: Api;
let fake: FakeModelServer;

/** The judge test's own answers, ahead of the demo script (which covers examples/collaborate.yaml). */
const judgeScript = [
  {
    match: { agent: 'code-generator', prompt: '[pick.code-generator turn 1]' },
    json: { summary: 'Call the release Aurora', filesChanged: [] },
  },
  {
    match: { agent: 'docs-writer', prompt: '[pick.docs-writer turn 1]' },
    json: { summary: 'Call the release Borealis', filesChanged: ['CHANGELOG.md'] },
  },
  {
    match: { agent: 'tester', prompt: '[pick.tester turn 1]' },
    json: { passed: true, summary: 'Call the release Comet: every test passes', failures: [] },
  },
  // A team member whose every model refuses: its failure is recorded, and the others are settled.
  { match: { agent: 'tester', prompt: '/^\\[(partial|none)\\.tester turn 1\\]/' }, status: 400 },
  { match: { agent: 'docs-writer', prompt: '[none.docs-writer turn 1]' }, status: 400 },
  {
    match: {
      agent: 'reviewer',
      prompt: '/Judge the team.s answers to the task[\\s\\S]*Pick a release name/',
    },
    json: {
      choice: 2,
      agree: false,
      reasons: ['Comet comes with passing tests', 'the others give no evidence'],
    },
  },
];

beforeAll(async () => {
  const script = loadScript(defaultScriptPath);
  fake = await startFakeModelServer({ script: { ...script, replies: [...judgeScript, ...script.replies] } });
  stack = await startStack('collaborate', { agents: true, models: shippedCatalogueOn(fake).runtime });
  ({ api } = stack);
}, 180_000);

afterAll(async () => {
  await stack?.stop();
  await fake?.close();
});

const startRun = (spec: unknown) => postJson(`${api.baseUrl}/api/runs`, { spec });
const promptsOf = (stepTag: string) =>
  fake.requests.filter((request) => request.prompt?.startsWith(`[${stepTag} turn 1]`));

describe('a collaborate step', () => {
  it('with mode judge and three agents records three answers with their cost, and the judge’s decision and reasons', async () => {
    const agents = ['code-generator', 'docs-writer', 'tester'];
    const started = await startRun({
      name: 'team-judge',
      steps: [
        {
          id: 'pick',
          kind: 'agent',
          collaborate: { mode: 'judge', agents },
          with: { task: 'Pick a release name.' },
        },
      ],
    });
    expect(started.status, JSON.stringify(started.body)).toBe(201);
    const runId = started.body.runId as string;
    const run = await waitForRunEnded(stack.env, api, runId, 90_000);
    expect(run.status, run.error).toBe('completed');

    const step = run.steps[0]!;
    const record = step.collaboration as CollaborationRecord;
    expect(record.answers.map((answer) => [answer.agent, answer.round, answer.ok])).toEqual([
      ['code-generator', 0, true],
      ['docs-writer', 0, true],
      ['tester', 0, true],
    ]);
    for (const answer of record.answers) {
      expect(answer.modelId).toBeTruthy();
      expect(answer.inputTokens).toBeGreaterThan(0);
      expect(answer.costUsd).toBeGreaterThanOrEqual(0);
    }
    expect(record.answers[2]?.output).toEqual({
      passed: true,
      summary: 'Call the release Comet: every test passes',
      failures: [],
    });
    expect(record).toMatchObject({
      mode: 'judge',
      agents,
      judge: 'reviewer',
      disagreed: true,
      winner: 'tester',
      verdict: {
        judge: 'reviewer',
        choice: 2,
        reasons: ['Comet comes with passing tests', 'the others give no evidence'],
      },
      settled:
        'the judge (reviewer) chose tester: Comet comes with passing tests; the others give no evidence',
    });
    const parts = record.answers.reduce((sum, answer) => sum + answer.costUsd, 0) + record.verdict!.costUsd;
    expect(record.costUsd).toBeCloseTo(parts, 10);
    expect(step.model?.costUsd).toBeCloseTo(record.costUsd, 10);
    expect(run.costUsd).toBeCloseTo(record.costUsd, 10);
    // The output is the winner's, as a one-agent step's would be.
    expect(step.output).toMatchObject({
      agent: 'tester',
      output: { summary: 'Call the release Comet: every test passes' },
      collaboration: { mode: 'judge', winner: 'tester' },
    });

    // Each agent was asked the task once, in parallel activities, and the judge saw all three answers.
    for (const agent of agents) expect(promptsOf(`pick.${agent}`)).toHaveLength(1);
    const judged = fake.requests.filter(
      (r) => r.agent === 'reviewer' && r.prompt?.includes('Pick a release name'),
    );
    expect(judged).toHaveLength(1);
    for (const name of ['Aurora', 'Borealis', 'Comet']) expect(judged[0]?.prompt).toContain(name);

    const outcome = (await outcomeStoreFor(api.config).list()).find(
      (r) => r.runId === runId && r.stepId === 'pick',
    );
    expect(outcome).toMatchObject({
      agent: 'tester',
      success: true,
      collaboration: {
        mode: 'judge',
        winner: 'tester',
        judge: 'reviewer',
        answers: agents.map((agent) => ({ agent, round: 0, ok: true, costUsd: expect.any(Number) })),
      },
    });

    // The answers and the verdict sit in history: a replay reuses them, with no nondeterminism.
    await stack.replay(runId);
  }, 120_000);

  it('runs examples/collaborate.yaml: a vote by the answers, a two-round debate the judge ends, and best-of by score', async () => {
    const started = await startRun(await readExample('collaborate.yaml'));
    expect(started.status, JSON.stringify(started.body)).toBe(201);
    const run = await waitForRunEnded(stack.env, api, started.body.runId as string, 120_000);
    expect(run.status, run.error).toBe('completed');
    const recordOf = (id: string) => run.steps.find((step) => step.id === id)?.collaboration;
    for (const step of run.steps)
      for (const answer of step.collaboration?.answers ?? [])
        expect(answer.ok, `${step.id} ${answer.agent}: ${answer.error}`).toBe(true);

    expect(recordOf('design')).toMatchObject({ mode: 'judge', winner: 'security-reviewer', disagreed: true });
    expect(recordOf('design')?.answers).toHaveLength(3);

    // Vote: two answers agree once normalised (key order, case, punctuation); nobody is asked to judge.
    expect(recordOf('store')).toMatchObject({
      mode: 'vote',
      winner: 'code-generator',
      disagreed: true,
      tie: false,
      groups: [
        { agents: ['code-generator', 'docs-writer'], count: 2 },
        { agents: ['performance-optimizer'], count: 1 },
      ],
      settled:
        'vote: code-generator + docs-writer 2, performance-optimizer 1; the majority (code-generator, docs-writer) wins',
    });
    expect(recordOf('store')?.verdict).toBeUndefined();
    expect(
      fake.requests.filter((r) => r.agent === 'reviewer' && r.prompt?.includes('Say which file')),
    ).toHaveLength(0);

    // Debate: each agent saw the other's answer in each of two rounds; still apart, the judge decided.
    const naming = recordOf('naming');
    expect(naming?.answers.map((answer) => `${answer.agent}@${answer.round}`)).toEqual([
      'code-generator@0',
      'docs-writer@0',
      'code-generator@1',
      'docs-writer@1',
      'code-generator@2',
      'docs-writer@2',
    ]);
    expect(naming).toMatchObject({
      mode: 'debate',
      rounds: 2,
      winner: 'docs-writer',
      verdict: { judge: 'reviewer', choice: 1 },
    });
    expect(naming?.settled).toMatch(/^no agreement after 2 rounds; the judge \(reviewer\) chose docs-writer/);
    const [round1] = promptsOf('naming.code-generator.round1');
    expect(round1?.prompt).toContain('Debate round 1 of 2');
    expect(round1?.prompt).toContain('Call it credentials');
    expect(round1?.prompt).not.toContain('### code-generator');
    expect(promptsOf('naming.code-generator.round3')).toHaveLength(0);

    // Best-of: the answer reporting passing tests scores higher than the one reporting a failure.
    const verify = recordOf('verify');
    expect(verify).toMatchObject({ mode: 'best-of', winner: 'debugger' });
    const [tester, debuggerAnswer] = verify?.answers ?? [];
    expect(debuggerAnswer?.score).toBeGreaterThan(tester?.score ?? Infinity);
    expect(verify?.settled).toMatch(/^best-of: tester \d+(\.\d)?, debugger 100; debugger scores highest$/);
  }, 180_000);

  it('settles the answers it has when one agent fails, recording the failure, and fails naming each error when none answers', async () => {
    const team = (id: string) => ({
      name: `team-${id}`,
      steps: [
        {
          id,
          kind: 'agent',
          retry: { attempts: 1 },
          collaborate: { mode: 'vote', agents: ['tester', 'docs-writer'] },
          with: { task: 'Pick a release name.' },
        },
      ],
    });
    const partial = await startRun(team('partial'));
    expect(partial.status, JSON.stringify(partial.body)).toBe(201);
    const done = await waitForRunEnded(stack.env, api, partial.body.runId as string, 90_000);
    expect(done.status, done.error).toBe('completed');
    const record = done.steps[0]?.collaboration;
    expect(record?.answers.map((answer) => [answer.agent, answer.ok])).toEqual([
      ['tester', false],
      ['docs-writer', true],
    ]);
    expect(record?.answers[0]?.error).toBeTruthy();
    expect(record).toMatchObject({ winner: 'docs-writer', settled: 'only one agent answered' });

    const none = await startRun(team('none'));
    const failed = await waitForRunEnded(stack.env, api, none.body.runId as string, 90_000);
    expect(failed.status).toBe('failed');
    expect(failed.steps[0]?.error).toMatch(/^no agent of the team answered: tester: .+; docs-writer: .+/);
    expect(failed.steps[0]?.collaboration?.answers.map((answer) => answer.ok)).toEqual([false, false]);
  }, 120_000);

  it('is refused with 400 and the field when its team names an unknown agent or gives rounds to a vote', async () => {
    const bad = await startRun({
      name: 'bad-team',
      steps: [
        {
          id: 'x',
          kind: 'agent',
          collaborate: { mode: 'vote', agents: ['tester', 'oracle'], rounds: 2 },
          with: { task: 'Do it.' },
        },
      ],
    });
    expect(bad.status).toBe(400);
    expect(bad.body.errors).toEqual(
      expect.arrayContaining([
        {
          path: 'spec.steps[0].collaborate.rounds',
          message: expect.stringMatching(/^rounds applies only to mode: debate/),
        },
        {
          path: 'spec.steps[0].collaborate.agents[1]',
          message: expect.stringMatching(/^unknown agent "oracle"/),
        },
      ]),
    );
  });
});
