import { spawn, type ChildProcess } from 'node:child_process';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { io } from 'socket.io-client';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startApiServerForTest, waitUntil } from '../helpers/harness';
import { startTestTemporal } from '../helpers/temporal';
import { freePort } from '../ui/ui-stack';

/**
 * An API process that shares live updates through Redis still shuts down when Redis has gone: its
 * Redis clients would otherwise wait for Redis to come back before they let the process exit, and the
 * Socket.IO adapter's unsubscribes would reject with no one to catch them (vitest fails the run on an
 * unhandled rejection).
 */
let env: TestWorkflowEnvironment;
let redis: ChildProcess | undefined;

beforeAll(async () => {
  env = await startTestTemporal();
});

afterAll(async () => {
  redis?.kill('SIGKILL');
  await env?.teardown();
});

it('closes the API within seconds after its Redis was killed', async () => {
  const port = await freePort();
  redis = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    {
      stdio: 'ignore',
    },
  );
  const redisUrl = `redis://127.0.0.1:${port}`;
  const api = await waitUntilStarted(() =>
    startApiServerForTest(env, 'redis down', { apiEnv: { REDIS_URL: redisUrl } }),
  );
  const socket = io(api.baseUrl, { transports: ['websocket'], reconnection: false });
  await waitUntil(() => socket.connected, { timeoutMs: 10_000, everyMs: 50, what: 'the socket to connect' });

  const exited = new Promise((resolve) => redis?.once('exit', resolve));
  redis.kill('SIGKILL');
  await exited;
  redis = undefined;
  // Long enough for the clients to be in their reconnect loop, where a graceful close waits on Redis.
  await new Promise((resolve) => setTimeout(resolve, 4000));

  const outcome = await Promise.race([
    api.close().then(() => 'closed'),
    new Promise((resolve) => setTimeout(() => resolve('still closing after 15 s'), 15_000).unref()),
  ]);
  socket.close();
  expect(outcome).toBe('closed');
}, 60_000);

/** redis-server takes a moment to listen: the API's first connect may be refused. */
async function waitUntilStarted<T>(start: () => Promise<T>): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await start();
    } catch (err) {
      if (attempt >= 20) throw err;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }
}
