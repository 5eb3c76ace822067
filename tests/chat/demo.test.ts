import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp } from 'node:fs/promises';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunSnapshot } from '../../src/engine/run-snapshot';
import { isClosed, postJson, readExample, waitForRun, waitUntil, type Api } from '../helpers/harness';
import { testPayloadEnv } from '../helpers/payload-codec';
import { startTestTemporal } from '../helpers/temporal';
import { answersTo, createSession, turnDone, waitForSession } from './helpers';

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** `npm start -- --demo` (what `npm run demo` runs), on a test dev server, with no script chosen. */
let env: TestWorkflowEnvironment;
let troupe: ChildProcess | undefined;
let api: Api;
const lines: string[] = [];

beforeAll(async () => {
  env = await startTestTemporal();
  const port = await freePort();
  const { FAKE_MODELS_SCRIPT: _script, OPENAI_API_KEY: _key, ...inherited } = process.env;
  troupe = spawn(
    process.execPath,
    ['--import', 'tsx', fileURLToPath(new URL('../../src/start.ts', import.meta.url)), '--demo'],
    {
      env: {
        ...inherited,
        TEMPORAL_ADDRESS: env.address,
        TROUPE_AUTH: 'off',
        ...testPayloadEnv,
        PORT: String(port),
        TROUPE_TASK_QUEUE: 'test-demo',
        TROUPE_DATA_DIR: await mkdtemp(join(tmpdir(), 'troupe-demo-')),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  const collect = (chunk: Buffer) => lines.push(...chunk.toString().split('\n'));
  troupe.stdout?.on('data', collect);
  troupe.stderr?.on('data', collect);
  await waitUntil(() => lines.some((line) => line.includes('Troupe is up.')) || troupe?.exitCode !== null, {
    timeoutMs: 240_000,
    everyMs: 250,
    what: 'npm run demo to report that Troupe is up',
  });
  expect(troupe.exitCode, lines.join('\n')).toBeNull();
  api = { baseUrl: `http://127.0.0.1:${port}` } as Api;
}, 300_000);

afterAll(async () => {
  if (troupe && troupe.exitCode === null) {
    const exited = new Promise((resolve) => troupe?.once('exit', resolve));
    troupe.kill('SIGTERM');
    await exited;
  }
  await env?.teardown();
});

const sampleRepo = fileURLToPath(new URL('../fixtures/sample-repo', import.meta.url));

/** Every shipped example, the input a newcomer would give it, and how it ends on the default script. */
const examples: { file: string; input?: Record<string, unknown>; status: string; output?: RegExp }[] = [
  { file: 'hello.yaml', status: 'completed', output: /^Hello, world! \(13 characters\)$/ },
  { file: 'ask.yaml', status: 'completed', output: /^\[simulated\] / },
  { file: 'conditional.yaml', status: 'completed', output: /deployed to staging/ },
  { file: 'foreach.yaml', status: 'completed', output: /Hello, Lisbon/ },
  { file: 'parallel.yaml', input: { pause: 0 }, status: 'completed', output: /joined$/ },
  // The saga fails on purpose, and its compensations run.
  { file: 'saga.yaml', status: 'failed' },
  { file: 'approval.yaml', status: 'completed', output: /published release 1\.0/ },
  { file: 'plan.yaml', input: { goal: 'Add a greet function, with docs' }, status: 'completed' },
  { file: 'fix-and-test.yaml', input: { repo: sampleRepo }, status: 'completed', output: /mean\(\)/ },
  // Judge, vote, debate and best-of; the run's output is the best-of step's winner.
  { file: 'collaborate.yaml', status: 'completed', output: /^debugger$/ },
];

describe('npm run demo', () => {
  it('says in /api/ui-config and at start that every answer is simulated', async () => {
    const config = (await (await fetch(`${api.baseUrl}/api/ui-config`)).json()) as { simulated?: boolean };
    expect(config.simulated).toBe(true);
    expect(lines.join('\n')).toMatch(/SIMULATED/);
  });

  it('runs every shipped example sensibly on the default script', async () => {
    const runs = await Promise.all(
      examples.map(async (example) => {
        const started = await postJson(`${api.baseUrl}/api/runs`, {
          spec: await readExample(example.file),
          input: example.input ?? {},
        });
        expect(started.status, `${example.file}: ${JSON.stringify(started.body)}`).toBe(201);
        const runId = started.body.runId as string;
        if (example.file === 'approval.yaml') {
          await waitForRun(api, runId, (run) => run.status === 'waiting', 120_000);
          await postJson(`${api.baseUrl}/api/runs/${runId}/approve`, { stepId: 'review' });
        }
        return waitForRun(api, runId, isClosed, 180_000);
      }),
    );
    for (const [index, example] of examples.entries()) {
      const run = runs[index] as RunSnapshot;
      const failed = run.steps.filter((step) => step.status === 'failed');
      expect(run.status, `${example.file}: ${JSON.stringify(failed)}`).toBe(example.status);
      if (example.output) expect(String(run.output), example.file).toMatch(example.output);
    }
  }, 300_000);

  it("plans a newcomer's typed goal into steps and runs them", async () => {
    const started = await postJson(`${api.baseUrl}/api/runs`, {
      goal: 'add a greet function with docs and tests',
    });
    expect(started.status, JSON.stringify(started.body)).toBe(201);
    const run = await waitForRun(api, started.body.runId as string, isClosed, 180_000);
    expect(run.status, JSON.stringify(run.steps)).toBe('completed');
    expect(run.steps.map((step) => step.id)).toEqual(
      expect.arrayContaining(['plan', 'plan_code', 'plan_test', 'plan_docs', 'summarize']),
    );
  }, 240_000);

  it('answers in all three chat modes, each answer marked simulated', async () => {
    const base = api.baseUrl;
    const sessionId = await createSession(base);
    const url = `${base}/api/chat/sessions/${sessionId}/messages`;
    const single = await postJson(url, { text: 'What can you do for me?' });
    expect(single.status, JSON.stringify(single.body)).toBe(202);
    let session = await waitForSession(base, sessionId, turnDone(single.body.message.id), {
      timeoutMs: 120_000,
    });
    const [answer] = answersTo(session, single.body.message.id);
    expect(answer).toMatchObject({ role: 'assistant', status: 'done', simulated: true });
    expect(answer?.why).toMatch(/^auto chose /);

    const agents = ['code-generator', 'security-reviewer', 'architecture-advisor'];
    const team = await postJson(url, { text: 'How do we cache?', mode: 'team', team: { agents } });
    session = await waitForSession(base, sessionId, turnDone(team.body.message.id), { timeoutMs: 120_000 });
    const entries = answersTo(session, team.body.message.id);
    expect(entries.filter((entry) => !entry.team).map((entry) => entry.agent)).toEqual(agents);
    expect(entries.every((entry) => entry.simulated)).toBe(true);
    expect(entries.find((entry) => entry.team)?.team?.settled).toMatch(/the judge \(reviewer\) chose/);

    const goal = await postJson(url, { text: 'add a greet function with docs and tests', mode: 'workflow' });
    session = await waitForSession(base, sessionId, turnDone(goal.body.message.id), { timeoutMs: 120_000 });
    const plan = answersTo(session, goal.body.message.id).find((entry) => entry.role === 'plan');
    expect(plan?.plan?.status, plan?.text).toBe('proposed');
    expect((plan?.plan?.spec as { steps?: unknown[] } | undefined)?.steps?.length).toBeGreaterThan(1);
    const approved = await postJson(`${base}/api/chat/sessions/${sessionId}/plans/${plan?.id}`, {
      approved: true,
    });
    expect(approved.status, JSON.stringify(approved.body)).toBe(200);
    session = await waitForSession(
      base,
      sessionId,
      (view) => view.messages.some((entry) => entry.role === 'run' && entry.status !== 'running'),
      { timeoutMs: 180_000, what: 'the planned run to end' },
    );
    const run = session.messages.find((entry) => entry.role === 'run');
    expect(run?.run?.status, run?.text).toBe('completed');
    expect(run?.text).toContain('[simulated] The team made the change');
  }, 420_000);

  it('troupe chat streams an answer to a question and runs /status', async () => {
    const cli = fileURLToPath(new URL('../../bin/troupe', import.meta.url));
    const child = spawn(process.execPath, [cli, 'chat', '--agent', 'tester'], {
      env: { ...process.env, TROUPE_API_URL: api.baseUrl },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    try {
      await waitUntil(() => stdout.includes('> '), { timeoutMs: 60_000, what: `the prompt; ${stderr}` });
      child.stdin.write('What does the tester do?\n');
      // The footer line is printed only for an answer whose tokens were streamed.
      await waitUntil(() => /— tester on \S+/.test(stdout), {
        timeoutMs: 120_000,
        what: `the streamed answer; got ${stdout} ${stderr}`,
      });
      expect(stdout).toContain('[simulated] tester (');
      child.stdin.write('/status\n');
      await waitUntil(() => /runs/i.test(stdout.split('— tester on')[1] ?? ''), {
        timeoutMs: 60_000,
        what: `the /status answer; got ${stdout} ${stderr}`,
      });
      child.stdin.write('/exit\n');
      expect(await exited, stderr).toBe(0);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  }, 240_000);
});
