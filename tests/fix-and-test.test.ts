import { execFile } from 'node:child_process';
import { cp, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { treeOf } from '../src/activities/workspace-snapshots';
import { startFakeModelServer, type FakeModelServer } from '../src/fake-models/server';
import { isClosed, postJson, readExample, waitForRun, type Api } from './helpers/harness';
import { startStack, type Stack } from './helpers/stack';
import { hostGitEnv } from './agents/helpers';
import { shippedCatalogueOn, shippedModels } from './models/helpers';

const run = promisify(execFile);
const sampleRepo = fileURLToPath(new URL('./fixtures/sample-repo', import.meta.url));
const script = fileURLToPath(new URL('../config/fake-models/fix-and-test.yaml', import.meta.url));

let stack: Stack;
let api: Api;
let fake: FakeModelServer;

beforeAll(async () => {
  fake = await startFakeModelServer({ script });
  stack = await startStack('fix and test', { agents: true, models: shippedCatalogueOn(fake).runtime });
  ({ api } = stack);
});

afterAll(async () => {
  await stack?.stop();
  await fake?.close();
});

async function start(input: Record<string, unknown>) {
  const response = await postJson(`${api.baseUrl}/api/runs`, {
    spec: await readExample('fix-and-test.yaml'),
    input,
  });
  expect(response.status, JSON.stringify(response.body)).toBe(201);
  const runId = response.body.runId as string;
  return { runId, workspace: join(api.config.TROUPE_DATA_DIR, 'workspaces', runId) };
}

/** The sample repo as the checkout step leaves it, in a git repo of its own, for comparison. */
async function pristine(): Promise<{ tree: string; status: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'troupe-pristine-'));
  await cp(sampleRepo, dir, { recursive: true });
  await run('git', ['init', '--quiet'], { cwd: dir });
  return {
    tree: await treeOf(dir),
    status: (
      await run('git', ['status', '--porcelain'], { cwd: dir, env: { ...process.env, ...hostGitEnv } })
    ).stdout,
  };
}

it('fixes the sample repo with five agents, so its tests pass afterwards', async () => {
  const { runId, workspace } = await start({ repo: sampleRepo });
  const result = await waitForRun(api, runId, isClosed, 120_000);
  expect(result.status, result.error).toBe('completed');
  expect(result.steps.map((step) => step.status)).toEqual(Array(7).fill('completed'));
  expect(result.steps.find((step) => step.id === 'verify')?.output).toMatchObject({ stdout: 'tests pass\n' });
  const tests = await run('npm', ['test', '--silent'], { cwd: workspace });
  expect(tests.stdout).toMatch(/# fail 0/);
  const agents = result.steps.filter((step) => step.kind === 'agent');
  expect(agents.every((step) => step.model?.reason.startsWith('agent '))).toBe(true);
}, 150_000);

it('restores the workspace byte for byte when the final step fails', async () => {
  const { runId, workspace } = await start({ repo: sampleRepo, fail: true });
  const result = await waitForRun(api, runId, isClosed, 120_000);
  expect(result.status).toBe('failed');
  expect(result.compensations.map((c) => [c.stepId, c.status])).toEqual([
    ['document', 'completed'],
    ['retest', 'completed'],
    ['debug', 'completed'],
    ['test', 'completed'],
    ['generate', 'completed'],
  ]);
  const expected = await pristine();
  expect(await treeOf(workspace)).toBe(expected.tree);
  const env = { ...process.env, ...hostGitEnv };
  expect((await run('git', ['status', '--porcelain'], { cwd: workspace, env })).stdout).toBe(expected.status);
}, 150_000);

it('refuses a tool call that reads ../../etc/passwd, records it on the step, and lets the run go on', async () => {
  fake.setScript({
    models: shippedModels,
    replies: [
      {
        match: { agent: 'security-reviewer', prompt: '[probe turn 1]' },
        toolCalls: [{ name: 'read_file', arguments: { path: '../../etc/passwd' } }],
      },
      {
        match: { agent: 'security-reviewer', prompt: '[probe turn 2]' },
        json: { findings: [], summary: 'The workspace refused a path outside it.' },
      },
    ],
  });
  const spec = {
    name: 'probe',
    steps: [
      { id: 'probe', kind: 'agent', agent: 'security-reviewer', with: { task: 'Read the password file.' } },
      { id: 'after', kind: 'tool', tool: 'noop', dependsOn: ['probe'], with: { went: 'on' } },
    ],
  };
  const response = await postJson(`${api.baseUrl}/api/runs`, { spec });
  const result = await waitForRun(api, response.body.runId as string, isClosed, 60_000);
  expect(result.status, result.error).toBe('completed');
  const probe = result.steps[0]?.output as { toolCalls: { tool: string; ok: boolean; error?: string }[] };
  expect(probe.toolCalls).toEqual([
    {
      tool: 'read_file',
      ok: false,
      error: expect.stringMatching(/\.\.\/\.\.\/etc\/passwd.*outside the workspace/),
    },
  ]);
  expect(result.steps[1]).toMatchObject({ status: 'completed', output: { went: 'on' } });
});

it('lets an agent ask another agent a question, runs the answer as a child step, and keeps the message', async () => {
  fake.setScript({
    models: shippedModels,
    replies: [
      {
        match: { agent: 'code-generator', prompt: '[design turn 1]' },
        toolCalls: [
          {
            name: 'ask_agent',
            arguments: { agent: 'architecture-advisor', question: 'Where should a cache live?' },
          },
        ],
      },
      {
        match: { agent: 'architecture-advisor', prompt: '[design_ask1 turn 1]' },
        json: {
          overview: 'Keep it in the API process.',
          recommendations: [{ title: 'In-process LRU', rationale: 'One process', effort: 'small' }],
        },
      },
      {
        match: { agent: 'code-generator', prompt: '[design turn 2]' },
        json: { summary: 'Followed the advice: an in-process LRU.', filesChanged: [] },
      },
    ],
  });
  const spec = {
    name: 'ask',
    steps: [{ id: 'design', kind: 'agent', agent: 'code-generator', with: { task: 'Add a cache.' } }],
  };
  const response = await postJson(`${api.baseUrl}/api/runs`, { spec });
  const result = await waitForRun(api, response.body.runId as string, isClosed, 60_000);
  expect(result.status, result.error).toBe('completed');
  expect(result.steps[0]?.output).toMatchObject({
    output: { summary: 'Followed the advice: an in-process LRU.' },
  });
  expect(result.messages).toEqual([
    {
      stepId: 'design',
      from: 'code-generator',
      to: 'architecture-advisor',
      question: 'Where should a cache live?',
      answer: expect.stringContaining('Keep it in the API process.'),
      at: expect.any(String),
    },
  ]);
});

it('puts parallel writes to the shared context to the reviewer agent under the reviewer policy', async () => {
  fake.setScript({
    models: shippedModels,
    replies: [
      {
        match: { agent: 'reviewer', prompt: '_review1 turn 1]' },
        json: { verdict: 'reject', score: 3, reasons: ['the earlier plan is simpler'] },
      },
    ],
  });
  const write = (id: string, plan: string) => ({
    id,
    kind: 'tool',
    tool: 'noop',
    with: { plan },
    publish: { plan },
  });
  const spec = {
    name: 'review',
    contextPolicy: 'reviewer',
    steps: [
      write('left', 'cache in memory'),
      write('right', 'cache in redis'),
      {
        id: 'use',
        kind: 'tool',
        tool: 'noop',
        dependsOn: ['left', 'right'],
        with: { plan: '${{ context.plan }}' },
      },
    ],
  };
  const response = await postJson(`${api.baseUrl}/api/runs`, { spec });
  const result = await waitForRun(api, response.body.runId as string, isClosed, 60_000);
  expect(result.status, result.error).toBe('completed');
  const [conflict] = result.context.conflicts;
  expect(conflict?.resolution).toMatch(
    /^the reviewer kept the value from "(left|right)": the earlier plan is simpler$/,
  );
  const kept = conflict?.steps[0] === 'left' ? 'cache in memory' : 'cache in redis';
  expect(result.output).toEqual({ plan: kept });
});
