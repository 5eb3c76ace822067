import { existsSync } from 'node:fs';
import { mkdir, utimes } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { Retention, sweepWorkspaces } from '../../src/activities/workspace-retention';
import { isClosed, postJson, waitForRun, waitUntil, type Api } from '../helpers/harness';
import { startStack, type Stack } from '../helpers/stack';

let stack: Stack;
let api: Api;

beforeAll(async () => {
  stack = await startStack('workspace retention');
  ({ api } = stack);
});

afterAll(async () => {
  await stack?.stop();
});

const shellStep = { id: 'write', kind: 'tool', tool: 'shell', with: { run: 'echo kept > file.txt' } };

it('removes the workspaces of runs closed longer ago than the retention, and keeps running ones', async () => {
  const done = await postJson(`${api.baseUrl}/api/runs`, { spec: { name: 'done', steps: [shellStep] } });
  const doneId = done.body.runId as string;
  await waitForRun(api, doneId, isClosed);
  const waiting = await postJson(`${api.baseUrl}/api/runs`, {
    spec: {
      name: 'waiting',
      steps: [shellStep, { id: 'wait', kind: 'approval', dependsOn: ['write'], with: { message: 'Go on?' } }],
    },
  });
  const waitingId = waiting.body.runId as string;
  const workspaces = join(api.config.TROUPE_DATA_DIR, 'workspaces');
  await waitUntil(() => existsSync(join(workspaces, waitingId, 'file.txt')), {
    what: 'the waiting run’s file',
  });
  const stray = join(workspaces, 'unknown-to-temporal');
  await mkdir(stray, { recursive: true });
  const old = new Date(Date.now() - 10 * 60_000);
  await utimes(stray, old, old);

  const sweep = (now: Date) =>
    sweepWorkspaces({
      dataDir: api.config.TROUPE_DATA_DIR,
      client: stack.env.client,
      retentionMs: 5 * 60_000,
      now,
    });
  expect(await sweep(new Date())).toEqual(['unknown-to-temporal']);
  expect(existsSync(join(workspaces, doneId))).toBe(true);

  expect(await sweep(new Date(Date.now() + 6 * 60_000))).toEqual([doneId]);
  expect(existsSync(join(workspaces, doneId))).toBe(false);
  expect(existsSync(join(api.config.TROUPE_DATA_DIR, 'checkpoints', doneId))).toBe(false);
  expect(existsSync(join(workspaces, waitingId, 'file.txt'))).toBe(true);
  await stack.env.client.workflow.getHandle(waitingId).terminate('test over');
});

it('reads TROUPE_WORKSPACE_RETENTION as a duration or forever, and names a bad one', () => {
  expect(Retention.parse(undefined)).toBe(7 * 86_400_000);
  expect(Retention.parse('12h')).toBe(12 * 3_600_000);
  expect(Retention.parse('forever')).toBe(Infinity);
  expect(Retention.safeParse('soon').success).toBe(false);
});
