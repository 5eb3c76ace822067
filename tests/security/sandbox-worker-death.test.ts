import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { idempotencyKey } from '../../src/tools/step-identity';
import {
  isClosed,
  postJson,
  spawnWorker,
  startApi,
  waitForRun,
  waitUntil,
  type Api,
} from '../helpers/harness';
import { startTestTemporal } from '../helpers/temporal';

let env: TestWorkflowEnvironment;
let api: Api;

beforeAll(async () => {
  env = await startTestTemporal();
  api = await startApi(env, 'sandbox worker death');
});

afterAll(async () => {
  await api?.close();
  await env?.teardown();
});

/** The pids of live processes whose environment carries this idempotency key and attempt. */
async function processesOf(key: string, attempt: number): Promise<number[]> {
  const found: number[] = [];
  for (const pid of await readdir('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    const environ = await readFile(`/proc/${pid}/environ`, 'utf8').catch(() => '');
    const entries = environ.split('\0');
    if (
      entries.includes(`TROUPE_IDEMPOTENCY_KEY=${key}`) &&
      entries.includes(`TROUPE_STEP_ATTEMPT=${attempt}`)
    ) {
      const status = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
      if (!/\) Z /.test(status)) found.push(Number(pid));
    }
  }
  return found;
}

const stopWorker = async (worker: ReturnType<typeof spawnWorker>, signal: NodeJS.Signals) => {
  worker.kill(signal);
  await new Promise((resolve) => worker.once('exit', resolve));
};

for (const sandbox of ['on', 'off'] as const) {
  it(`leaves no process of a killed worker's attempt alive, and never two attempts at once (TROUPE_SANDBOX=${sandbox})`, async () => {
    const script = [
      'echo "start $TROUPE_STEP_ATTEMPT $TROUPE_IDEMPOTENCY_KEY" >> attempts.log',
      'touch "started-$TROUPE_STEP_ATTEMPT"',
      // A grandchild of the shell, as a test runner's workers are; the first one outlives the retry's
      // start unless something kills it.
      '[ "$TROUPE_STEP_ATTEMPT" = 1 ] && nap=120 || nap=1',
      'NAP=$nap sh -c \'sleep "$NAP"; echo "late write $TROUPE_STEP_ATTEMPT" >> attempts.log\' &',
      'sleep 4',
      'echo "end $TROUPE_STEP_ATTEMPT" >> attempts.log',
      'wait',
    ].join('\n');
    const started = await postJson(`${api.baseUrl}/api/runs`, {
      spec: {
        name: `death-${sandbox}`,
        steps: [{ id: 'slow', kind: 'tool', tool: 'shell', with: { run: script } }],
      },
    });
    expect(started.status).toBe(201);
    const runId = started.body.runId as string;
    const workspace = join(api.config.TROUPE_DATA_DIR, 'workspaces', runId);
    const key = idempotencyKey({ runId, stepId: 'slow' });
    const workerEnv = { TROUPE_SANDBOX: sandbox };

    const first = spawnWorker(env, api, workerEnv);
    await waitUntil(() => existsSync(join(workspace, 'started-1')), {
      timeoutMs: 180_000,
      what: 'attempt 1',
    });
    expect(await processesOf(key, 1)).not.toEqual([]);
    await stopWorker(first, 'SIGKILL');
    if (sandbox === 'on') {
      // bwrap --die-with-parent takes the whole sandbox down with the worker.
      await waitUntil(async () => (await processesOf(key, 1)).length === 0, {
        timeoutMs: 5_000,
        what: 'the killed attempt’s processes to die with the worker',
      });
    }

    const second = spawnWorker(env, api, workerEnv);
    try {
      await waitUntil(() => existsSync(join(workspace, 'started-2')), {
        timeoutMs: 180_000,
        what: 'attempt 2',
      });
      // Unconfined, a grandchild outlives kill -9 of the worker; the retry kills it before it starts.
      expect(await processesOf(key, 1)).toEqual([]);
      const run = await waitForRun(api, runId, isClosed, 120_000);
      expect(run.status, run.error).toBe('completed');
      expect(run.steps[0]).toMatchObject({ attempts: 2 });
      if (sandbox === 'off') expect(run.steps[0]?.output).toMatchObject({ unconfined: true });
      else expect(run.steps[0]?.output).not.toHaveProperty('unconfined');
    } finally {
      await stopWorker(second, 'SIGTERM');
    }
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    const log = (await readFile(join(workspace, 'attempts.log'), 'utf8')).trim().split('\n');
    expect(log).toEqual([`start 1 ${key}`, `start 2 ${key}`, 'late write 2', 'end 2']);
  }, 600_000);
}
