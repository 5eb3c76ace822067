import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp } from 'node:fs/promises';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { RunSnapshot } from '../../src/engine/run-snapshot';
import { startFakeModelServer, type FakeModelServer } from '../../src/fake-models/server';
import { readSupervisedParts } from '../../src/supervisor/supervisor-status';
import { isClosed, readExample, waitUntil } from '../helpers/harness';
import { shippedCatalogueOn, shippedModels } from '../models/helpers';

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
let troupe: ChildProcess;
let output = '';
let baseUrl: string;
let dataDir: string;
let fake: FakeModelServer;

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const probe = createServer().listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'troupe-supervisor-'));
  fake = await startFakeModelServer({ script: { models: shippedModels } });
  const port = await freePort();
  baseUrl = `http://127.0.0.1:${port}`;
  troupe = spawn('npm', ['start', '--silent'], {
    cwd: repoRoot,
    env: {
      ...process.env,
      ...shippedCatalogueOn(fake).env,
      PORT: String(port),
      TROUPE_AUTH: 'off',
      TEMPORAL_PORT: String(await freePort()),
      TEMPORAL_UI_PORT: String(await freePort()),
      TROUPE_DATA_DIR: dataDir,
      TROUPE_TASK_QUEUE: 'test-supervisor',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  troupe.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  troupe.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  await waitUntil(() => output.includes('Troupe is up.') || troupe.exitCode !== null, {
    timeoutMs: 240_000,
    everyMs: 250,
    what: '`npm start` to say Troupe is up',
  });
  expect(troupe.exitCode, output).toBeNull();
}, 260_000);

afterAll(async () => {
  if (troupe?.pid && troupe.exitCode === null) {
    const exited = new Promise((resolve) => troupe.once('exit', resolve));
    process.kill(-troupe.pid, 'SIGINT');
    await exited;
  }
  await fake?.close();
}, 60_000);

async function partPid(name: string): Promise<number | undefined> {
  const part = (await readSupervisedParts(dataDir)).find((candidate) => candidate.name === name);
  return part?.state === 'running' ? part.pid : undefined;
}

async function getRun(runId: string): Promise<RunSnapshot> {
  return (await (await fetch(`${baseUrl}/api/runs/${runId}`)).json()) as RunSnapshot;
}

/** Kills a part with SIGKILL and resolves with how long the supervisor took to run it again. */
async function killAndAwaitRestart(name: string, apiStaysUp = true): Promise<number> {
  const pid = await partPid(name);
  expect(pid, `${name} has a pid`).toBeDefined();
  process.kill(pid as number, 'SIGKILL');
  const killedAt = Date.now();
  if (apiStaysUp)
    expect((await fetch(`${baseUrl}/healthz`)).status, 'the API answers while a worker is down').toBe(200);
  await waitUntil(async () => ((await partPid(name)) ?? pid) !== pid, {
    timeoutMs: 10_000,
    everyMs: 100,
    what: `the supervisor to restart ${name}`,
  });
  return Date.now() - killedAt;
}

it('restarts a worker killed mid-step within 10 s, keeps the API up, and the run completes', async () => {
  const restarted: Record<string, number> = {};
  for (const pool of ['tools', 'orchestration']) {
    const started = await fetch(`${baseUrl}/api/runs`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ spec: await readExample('parallel.yaml'), input: { pause: 4 } }),
    });
    expect(started.status).toBe(201);
    const { runId } = (await started.json()) as { runId: string };
    await waitUntil(
      async () =>
        (await getRun(runId)).steps.some((step) => step.status === 'running' && step.id !== 'prepare'),
      {
        timeoutMs: 60_000,
        what: `a part step of ${runId} to run`,
      },
    );
    restarted[pool] = await killAndAwaitRestart(`worker:${pool}`);
    await waitUntil(async () => isClosed(await getRun(runId)), {
      timeoutMs: 120_000,
      everyMs: 500,
      what: `${runId} to close`,
    });
    const run = await getRun(runId);
    expect(run.status).toBe('completed');
    expect(run.output).toBe('part1part2part3part4part5 joined');
  }
  console.log(`supervisor: restarted within (ms) ${JSON.stringify(restarted)}`);

  expect(output).toMatch(/the worker:tools stopped unexpectedly \(SIGKILL\); restarting it in /);
  const health = (await (await fetch(`${baseUrl}/healthz`)).json()) as { restarts: Record<string, number> };
  expect(health.restarts).toMatchObject({
    'worker:tools': 1,
    'worker:orchestration': 1,
    api: 0,
  });
  const metrics = await (await fetch(`${baseUrl}/metrics`)).text();
  expect(metrics).toMatch(/troupe_process_restarts\{part="worker:tools"\} 1/);
}, 400_000);

it('restarts the agents and model workers killed mid-call, and each step completes once', async () => {
  const slow = { latencyMs: 6_000 };
  fake.setScript({
    models: shippedModels,
    replies: [
      { match: { prompt: '[kill local]' }, ...slow, reply: 'local answered' },
      { match: { prompt: '[kill cloud]' }, ...slow, reply: 'cloud answered' },
      {
        match: { agent: 'summarizer', prompt: '[summarise turn 1]' },
        ...slow,
        json: { summary: 'done', bullets: [] },
      },
    ],
  });
  const start = async (step: Record<string, unknown>) => {
    const response = await fetch(`${baseUrl}/api/runs`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ spec: { name: `kill-${String(step.id)}`, steps: [step] } }),
    });
    expect(response.status).toBe(201);
    return ((await response.json()) as { runId: string }).runId;
  };
  const cases = [
    {
      pool: 'local-models',
      prompt: '[kill local]',
      step: { id: 'local', kind: 'model', with: { prompt: '[kill local] hi', model: 'qwen2.5-coder:7b' } },
    },
    {
      pool: 'cloud-models',
      prompt: '[kill cloud]',
      step: { id: 'cloud', kind: 'model', with: { prompt: '[kill cloud] hi', model: 'gpt-4o-mini' } },
    },
    {
      pool: 'agents',
      prompt: '[summarise turn 1]',
      step: { id: 'summarise', kind: 'agent', agent: 'summarizer', with: { task: 'Summarise nothing.' } },
    },
  ];
  const asked = (prompt: string) =>
    fake.requests.filter((request) => request.prompt?.includes(prompt)).length;
  const runs = await Promise.all(cases.map(async (one) => ({ ...one, runId: await start(one.step) })));
  const restarted: Record<string, number> = {};
  for (const one of runs) {
    // The call has reached the model and is waiting for its answer: the worker dies mid-call.
    await waitUntil(() => asked(one.prompt) === 1, { timeoutMs: 60_000, what: `${one.pool}'s call` });
    restarted[one.pool] = await killAndAwaitRestart(`worker:${one.pool}`);
  }
  console.log(`supervisor: restarted mid-call within (ms) ${JSON.stringify(restarted)}`);
  for (const one of runs) {
    await waitUntil(async () => isClosed(await getRun(one.runId)), {
      timeoutMs: 180_000,
      everyMs: 500,
      what: `${one.runId} to close`,
    });
    const run = await getRun(one.runId);
    expect(run.status, `${one.pool}: ${run.error}`).toBe('completed');
    expect(run.steps).toHaveLength(1);
    expect(run.steps[0]?.status).toBe('completed');
    // Asked again by Temporal's retry of the killed attempt, and answered once.
    expect(asked(one.prompt), one.pool).toBe(2);
  }
  const [local, cloud, agent] = await Promise.all(runs.map((one) => getRun(one.runId)));
  expect(local?.steps[0]?.output).toMatchObject({ text: '[simulated] local answered' });
  expect(local?.steps[0]?.model?.attempts).toEqual([expect.objectContaining({ outcome: 'ok' })]);
  expect(cloud?.steps[0]?.output).toMatchObject({ text: '[simulated] cloud answered' });
  expect(agent?.steps[0]?.output).toMatchObject({ output: { summary: 'done', bullets: [] } });
  const health = (await (await fetch(`${baseUrl}/healthz`)).json()) as { restarts: Record<string, number> };
  expect(health.restarts).toMatchObject({
    'worker:local-models': 1,
    'worker:cloud-models': 1,
    'worker:agents': 1,
  });
}, 400_000);

it('restarts the API when it is killed, and it answers again', async () => {
  await killAndAwaitRestart('api', false);
  await waitUntil(async () => (await fetch(`${baseUrl}/healthz`).catch(() => undefined))?.status === 200, {
    timeoutMs: 60_000,
    everyMs: 250,
    what: 'the restarted API to answer',
  });
  const health = (await (await fetch(`${baseUrl}/healthz`)).json()) as { restarts: Record<string, number> };
  expect(health.restarts.api).toBe(1);
}, 90_000);
