import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startTestTemporal } from './helpers/temporal';
import { readFile } from 'node:fs/promises';
import {
  isClosed,
  postJson,
  readExample,
  spawnWorker,
  startApi,
  waitForRun,
  waitUntil,
  type Api,
} from './helpers/harness';

let env: TestWorkflowEnvironment;
let api: Api;

beforeAll(async () => {
  env = await startTestTemporal();
  api = await startApi(env, 'worker restart');
});

afterAll(async () => {
  await api?.close();
  await env?.teardown();
});

it('completes a run whose worker is killed mid-step, once a new worker starts', async () => {
  const spec = {
    name: 'crash',
    steps: [
      {
        id: 'slow',
        kind: 'tool',
        tool: 'shell',
        with: { run: 'echo "$TROUPE_STEP_ID" >> attempts.log; touch started; sleep 3; printf done' },
      },
      {
        id: 'after',
        kind: 'tool',
        tool: 'shell',
        dependsOn: ['slow'],
        with: {
          run: 'printf "%s, then after (%s attempts)" "$PREV" "$(wc -l < attempts.log)"',
          env: { PREV: '${{ steps.slow.output.stdout }}' },
        },
      },
    ],
  };
  const started = await postJson(`${api.baseUrl}/api/runs`, { spec });
  expect(started.status).toBe(201);
  const workspace = join(api.config.TROUPE_DATA_DIR, 'workspaces', started.body.runId);

  const first = spawnWorker(env, api);
  await waitUntil(() => existsSync(join(workspace, 'started')), {
    timeoutMs: 60_000,
    what: 'the slow step to start',
  });
  first.kill('SIGKILL');
  await new Promise((resolve) => first.once('exit', resolve));
  const description = await env.client.workflow.getHandle(started.body.runId).describe();
  expect(description.status.name).toBe('RUNNING');

  const second = spawnWorker(env, api);
  try {
    const run = await waitForRun(api, started.body.runId, isClosed, 90_000);
    expect(run.status).toBe('completed');
    expect(run.steps[0]).toMatchObject({ id: 'slow', status: 'completed', attempts: 2 });
    expect(run.output).toMatchObject({ stdout: 'done, then after (2 attempts)' });
  } finally {
    second.kill('SIGTERM');
    await new Promise((resolve) => second.once('exit', resolve));
  }
}, 150_000);

async function killAndReplace(worker: ReturnType<typeof spawnWorker>) {
  worker.kill('SIGKILL');
  await new Promise((resolve) => worker.once('exit', resolve));
  return spawnWorker(env, api);
}

it('completes parallel.yaml when its worker is killed during the fan-out', async () => {
  const started = await postJson(`${api.baseUrl}/api/runs`, {
    spec: await readExample('parallel.yaml'),
    input: { pause: 3 },
  });
  const workspace = join(api.config.TROUPE_DATA_DIR, 'workspaces', started.body.runId);
  const first = spawnWorker(env, api);
  await waitUntil(() => existsSync(join(workspace, 'parts')), {
    timeoutMs: 60_000,
    what: 'the fan-out to start',
  });
  await new Promise((resolve) => setTimeout(resolve, 1000));
  const second = await killAndReplace(first);
  try {
    const run = await waitForRun(api, started.body.runId, isClosed, 90_000);
    expect(run.status).toBe('completed');
    expect(run.output).toBe('part1part2part3part4part5 joined');
    expect(run.steps.find((step) => step.id === 'prepare')?.attempts).toBe(1);
    expect(run.steps.filter((step) => step.id.startsWith('part')).every((step) => step.attempts === 2)).toBe(
      true,
    );
  } finally {
    second.kill('SIGTERM');
    await new Promise((resolve) => second.once('exit', resolve));
  }
}, 150_000);

it('resumes a long command from its last heartbeat checkpoint after the worker dies', async () => {
  const count = [
    'from=$(cat "$TROUPE_CHECKPOINT_FILE"); from=${from:-0}',
    'echo "resumed at $from" >> resumes.log',
    'i=$from',
    'while [ "$i" -lt 12 ]; do i=$((i+1)); echo "$i" > "$TROUPE_CHECKPOINT_FILE"; [ "$i" -eq 6 ] && touch reached6; sleep 0.5; done',
    'printf "counted to %s" "$i"',
  ].join('\n');
  const spec = {
    name: 'checkpoint',
    steps: [{ id: 'count', kind: 'tool', tool: 'shell', with: { run: count } }],
  };
  const started = await postJson(`${api.baseUrl}/api/runs`, { spec });
  const workspace = join(api.config.TROUPE_DATA_DIR, 'workspaces', started.body.runId);
  const first = spawnWorker(env, api);
  await waitUntil(() => existsSync(join(workspace, 'reached6')), {
    timeoutMs: 60_000,
    what: 'the count to reach 6',
  });
  const second = await killAndReplace(first);
  try {
    const run = await waitForRun(api, started.body.runId, isClosed, 90_000);
    expect(run.output).toMatchObject({ stdout: 'counted to 12' });
    const resumes = (await readFile(join(workspace, 'resumes.log'), 'utf8')).trim().split('\n');
    expect(resumes[0]).toBe('resumed at 0');
    expect(resumes).toHaveLength(2);
    expect(Number(resumes[1]?.replace('resumed at ', ''))).toBeGreaterThan(0);
  } finally {
    second.kill('SIGTERM');
    await new Promise((resolve) => second.once('exit', resolve));
  }
}, 150_000);
