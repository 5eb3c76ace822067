import { execFile } from 'node:child_process';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { CancelledFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAgentActivities } from '../../src/activities/agent-activities';
import { treeOf } from '../../src/activities/workspace-snapshots';
import type { AgentHeartbeat, AgentStepInput } from '../../src/agents/agent-step-input';
import { AgentDefinition } from '../../src/agents/agent-definition';
import { createAgentRegistry, loadAgentRegistry, type AgentRegistry } from '../../src/agents/registry';
import type { ReplyRule } from '../../src/fake-models/script';
import { startFakeModelServer, type FakeModelServer } from '../../src/fake-models/server';
import { fakeModels, testRuntime } from '../models/helpers';
import { runActivity, sampleRepo } from './helpers';

const fixedMath = `/** Adds two numbers. */
export function add(a, b) {
  return a + b;
}

/** Multiplies two numbers. */
export function multiply(a, b) {
  return a * b;
}
`;

/** The debugger's scripted session for a step: reproduce, read (once out of bounds), fix, re-run, answer. */
function debuggerScript(step: string): ReplyRule[] {
  const turn = (n: number) => ({ agent: 'debugger', prompt: `[${step} turn ${n}]` });
  return [
    { match: turn(1), toolCalls: [{ name: 'run_tests', arguments: {} }] },
    {
      match: turn(2),
      toolCalls: [
        { name: 'read_file', arguments: { path: 'src/math.js' } },
        { name: 'read_file', arguments: { path: '../../etc/passwd' } },
      ],
    },
    {
      match: turn(3),
      toolCalls: [{ name: 'write_file', arguments: { path: 'src/math.js', content: fixedMath } }],
    },
    { match: turn(4), toolCalls: [{ name: 'run_tests', arguments: {} }] },
    {
      match: turn(5),
      json: {
        rootCause: 'multiply used + instead of *',
        fix: 'return a * b',
        filesChanged: ['src/math.js'],
        testsPass: true,
      },
    },
  ] as ReplyRule[];
}

const quietEnv = (info: ConstructorParameters<typeof MockActivityEnvironment>[0] = {}) =>
  new MockActivityEnvironment(info, { logger: new DefaultLogger('ERROR') });

let fake: FakeModelServer;
let registry: AgentRegistry;
beforeAll(async () => {
  fake = await startFakeModelServer({ script: { models: fakeModels } });
  registry = await loadAgentRegistry();
});
afterAll(() => fake.close());

async function setup(
  overrides: Parameters<typeof testRuntime>[1] = {},
  deps: Partial<Parameters<typeof createAgentActivities>[0]> = {},
) {
  const { runtime, ledger } = await testRuntime(fake, overrides);
  const dataDir = await mkdtemp(join(tmpdir(), 'troupe-agents-'));
  const activities = createAgentActivities({ runtime, registry, workspaces: { dataDir }, ...deps });
  return { activities, ledger, dataDir };
}

const input = (
  fields: Partial<AgentStepInput> & Pick<AgentStepInput, 'stepId' | 'agent'>,
): AgentStepInput => ({
  runId: `run-${fields.stepId}`,
  task: 'Make the failing tests pass.',
  ...fields,
});

const npmTest = (dir: string) =>
  promisify(execFile)('npm', ['test'], { cwd: dir }).then(
    () => true,
    () => false,
  );

describe('runAgent', () => {
  it('lets the debugger fix the sample repo through the real openai client, recording a refused read', async () => {
    fake.setScript({ models: fakeModels, replies: debuggerScript('fix-openai') });
    const { activities, ledger } = await setup();
    const repo = await sampleRepo();
    const result = await runActivity(
      quietEnv(),
      activities.runAgent,
      input({ stepId: 'fix-openai', agent: 'debugger', repo }),
    );
    expect(result.output).toEqual({
      rootCause: 'multiply used + instead of *',
      fix: 'return a * b',
      filesChanged: ['src/math.js'],
      testsPass: true,
    });
    expect(result.modelId).toBe('cloud-big');
    expect(result.toolCalls).toEqual([
      { tool: 'run_tests', ok: true },
      { tool: 'read_file', ok: true },
      { tool: 'read_file', ok: false, error: expect.stringContaining('no-parent-escape') as string },
      { tool: 'write_file', ok: true },
      { tool: 'run_tests', ok: true },
    ]);
    expect(result.iterations).toBe(5);
    expect(result.usage.inputTokens).toBeGreaterThan(0);
    expect(result.costUsd).toBeGreaterThan(0);
    expect(result.snapshotRef).toMatch(/^refs\/troupe\/snapshots\//);
    expect(await npmTest(result.workspace)).toBe(true);
    expect(await npmTest(repo)).toBe(false);
    const calls = (await ledger.entries()).filter((entry) => entry.stepId === 'fix-openai');
    expect(calls).toHaveLength(5);
    expect(calls.every((entry) => entry.agent === 'debugger' && entry.outcome === 'ok')).toBe(true);
    expect(fake.requests.filter((request) => request.agent === 'debugger').at(-1)?.api).toBe('openai');
  });

  it('runs the same loop through the real ollama client on a local model', async () => {
    fake.setScript({ models: fakeModels, replies: debuggerScript('fix-ollama') });
    const { activities } = await setup({
      models: [
        {
          id: 'local-coder',
          provider: 'local',
          capabilities: ['code', 'tools', 'json'],
          contextTokens: 32_000,
          quality: 99,
        },
      ],
    });
    const result = await runActivity(
      quietEnv(),
      activities.runAgent,
      input({ stepId: 'fix-ollama', agent: 'debugger', repo: await sampleRepo() }),
    );
    expect(result.modelId).toBe('local-coder');
    expect(result.costUsd).toBe(0);
    expect(fake.requests.at(-1)?.api).toBe('ollama');
    expect(await npmTest(result.workspace)).toBe(true);
  });

  it('asks once for a repair when the final answer breaks the output contract', async () => {
    fake.setScript({
      models: fakeModels,
      replies: [
        { match: { prompt: '[sum turn 1]' }, reply: 'Here is my summary: all good.' },
        { match: { prompt: '[sum repair]' }, json: { summary: 'all good', bullets: ['tests pass'] } },
      ],
    });
    const { activities } = await setup();
    const result = await runActivity(
      quietEnv(),
      activities.runAgent,
      input({ stepId: 'sum', agent: 'summarizer', task: 'Summarise: tests pass.' }),
    );
    expect(result.output).toEqual({ summary: 'all good', bullets: ['tests pass'] });
    expect(result.transcript.join('\n')).toContain('asked to repair');
    expect(result.snapshotRef).toBeUndefined();
  });

  it('fails without retry when the repaired answer is still wrong', async () => {
    fake.setScript({
      models: fakeModels,
      replies: [
        { match: { prompt: '[sum2 turn 1]' }, reply: 'not json' },
        { match: { prompt: '[sum2 repair]' }, json: { summary: 42 } },
      ],
    });
    const { activities } = await setup();
    await expect(
      runActivity(
        quietEnv(),
        activities.runAgent,
        input({ stepId: 'sum2', agent: 'summarizer', task: 'Summarise.' }),
      ),
    ).rejects.toMatchObject({ type: 'InvalidModelOutput', nonRetryable: true });
  });

  it('refuses a tool the agent may not use and tells the model so', async () => {
    fake.setScript({
      models: fakeModels,
      replies: [
        { match: { prompt: '[deny turn 1]' }, toolCalls: [{ name: 'deploy', arguments: {} }] },
        { match: { prompt: '[deny turn 2]' }, json: { summary: 'could not deploy', bullets: [] } },
      ],
    });
    const { activities } = await setup();
    const result = await runActivity(
      quietEnv(),
      activities.runAgent,
      input({ stepId: 'deny', agent: 'summarizer', task: 'Deploy it.' }),
    );
    expect(result.toolCalls).toEqual([
      { tool: 'deploy', ok: false, error: expect.stringContaining('may not use tool "deploy"') as string },
    ]);
  });

  it('stops before any model call when the run budget is spent', async () => {
    fake.setScript({ models: fakeModels });
    const { activities } = await setup();
    const before = fake.requests.length;
    await expect(
      runActivity(
        quietEnv(),
        activities.runAgent,
        input({ stepId: 'broke', agent: 'debugger', budget: { limitUsd: 0.01, spentUsd: 0.01 } }),
      ),
    ).rejects.toMatchObject({ type: 'BudgetExceeded', nonRetryable: true });
    expect(fake.requests.length).toBe(before);
  });

  it('stops when the agent has used its token budget', async () => {
    fake.setScript({ models: fakeModels, replies: [{ toolCalls: [{ name: 'list_files', arguments: {} }] }] });
    const tiny = createAgentRegistry([
      AgentDefinition.parse({ ...registry.get('debugger'), id: 'tiny', limits: { maxTotalTokens: 50 } }),
    ]);
    const { activities } = await setup({}, { registry: tiny });
    await expect(
      runActivity(quietEnv(), activities.runAgent, input({ stepId: 'tokens', agent: 'tiny' })),
    ).rejects.toMatchObject({
      type: 'BudgetExceeded',
      nonRetryable: true,
      message: expect.stringMatching(/used \d+ tokens of its 50/) as string,
    });
  });

  it('runs the configured rollback command when a deploy step is compensated', async () => {
    const rollback = ['node', '-e', 'require("fs").writeFileSync("rolled-back.txt", "yes")'];
    const { activities, dataDir } = await setup(
      {},
      { tools: { deploy: { command: ['node', '-e', '0'], rollback } } },
    );
    const undone = await runActivity(quietEnv(), activities.compensateAgent, {
      runId: 'deploy-run',
      stepId: 'ship',
      agent: 'deploy',
    });
    expect(undone).toMatchObject({ compensated: 'command' });
    const workspace = join(dataDir, 'workspaces', 'deploy-run');
    expect(await readFile(join(workspace, 'rolled-back.txt'), 'utf8')).toBe('yes');
  });

  it('gives up after the iteration limit when the model never answers', async () => {
    fake.setScript({ models: fakeModels, replies: [{ toolCalls: [{ name: 'list_files', arguments: {} }] }] });
    const { activities } = await setup();
    await expect(
      runActivity(
        quietEnv(),
        activities.runAgent,
        input({ stepId: 'loop', agent: 'debugger', maxIterations: 3 }),
      ),
    ).rejects.toMatchObject({ type: 'AgentIterationLimit', nonRetryable: true });
  });

  it('heartbeats its progress and resumes a retried attempt from the last heartbeat', async () => {
    fake.setScript({ models: fakeModels, replies: debuggerScript('resume') });
    const { activities } = await setup();
    const repo = await sampleRepo();
    const step = input({ stepId: 'resume', agent: 'debugger', repo });
    const beats: AgentHeartbeat[] = [];
    const first = quietEnv();
    first.on('heartbeat', (details: AgentHeartbeat) => beats.push(structuredClone(details)));
    await runActivity(first, activities.runAgent, step);
    const afterWrite = beats.find((beat) => beat.lastTool === 'write_file');
    expect(afterWrite).toMatchObject({ iteration: 3, lastTool: 'write_file' });
    expect(afterWrite?.progressRef).toMatch(/^sha256:[0-9a-f]{64}$/);
    // A reference to the conversation, never the conversation: no prompt or tool output in a heartbeat.
    for (const beat of beats) expect(Object.keys(beat).sort()).not.toContain('messages');
    expect(JSON.stringify(beats)).not.toContain('[resume turn');

    const seen = fake.requests.length;
    const retry = quietEnv({ heartbeatDetails: afterWrite, attempt: 2 });
    const resumed = await runActivity(retry, activities.runAgent, step);
    const prompts = fake.requests.slice(seen).map((request) => request.prompt ?? '');
    expect(prompts[0]).toContain('[resume turn 4]');
    expect(prompts).toHaveLength(2);
    expect(resumed.toolCalls.map((call) => call.tool)).toEqual([
      'run_tests',
      'read_file',
      'read_file',
      'write_file',
      'run_tests',
    ]);
    expect(resumed.snapshotRef).toBe(afterWrite?.snapshotRef);
  });

  it('restarts the conversation but keeps the first snapshot when the saved conversation is gone', async () => {
    fake.setScript({ models: fakeModels, replies: debuggerScript('restart') });
    const { activities } = await setup();
    const step = input({ stepId: 'restart', agent: 'debugger', repo: await sampleRepo() });
    const beats: AgentHeartbeat[] = [];
    const first = quietEnv();
    first.on('heartbeat', (details: AgentHeartbeat) => beats.push(structuredClone(details)));
    const done = await runActivity(first, activities.runAgent, step);
    const { progressRef: _saved, ...trimmed } = beats.find((beat) => beat.iteration === 2) ?? {};
    const seen = fake.requests.length;
    const again = await runActivity(
      quietEnv({ heartbeatDetails: trimmed, attempt: 2 }),
      activities.runAgent,
      step,
    );
    expect(fake.requests[seen]?.prompt).toContain('[restart turn 1]');
    expect(again.snapshotRef).toBe(done.snapshotRef);
    expect(again.toolCalls.map((call) => call.tool)).toEqual(done.toolCalls.map((call) => call.tool));
  });

  it('stops a model call when the activity is cancelled', async () => {
    fake.setScript({ models: fakeModels, replies: [{ match: { prompt: '[hang turn 1]' }, hang: true }] });
    const { activities } = await setup();
    const env = quietEnv();
    const pending = runActivity(
      env,
      activities.runAgent,
      input({ stepId: 'hang', agent: 'summarizer', task: 'x' }),
    );
    setTimeout(() => env.cancel(), 300);
    await expect(pending).rejects.toBeInstanceOf(CancelledFailure);
  });

  it('restores the workspace to the step snapshot when compensated', async () => {
    fake.setScript({ models: fakeModels, replies: debuggerScript('undo') });
    const { activities } = await setup();
    const repo = await sampleRepo();
    const step = input({ stepId: 'undo', agent: 'debugger', repo });
    const result = await runActivity(quietEnv(), activities.runAgent, step);
    const original = await treeOf(repo);
    expect(await treeOf(result.workspace)).not.toBe(original);
    const undone = await runActivity(quietEnv(), activities.compensateAgent, {
      runId: step.runId,
      stepId: step.stepId,
      agent: 'debugger',
      snapshotRef: result.snapshotRef,
      repo,
    });
    expect(undone).toEqual({ compensated: 'restore-workspace' });
    expect(await treeOf(result.workspace)).toBe(original);
    expect(await readFile(join(result.workspace, 'src', 'math.js'), 'utf8')).toContain('a + b;\n}\n');
  });
});
