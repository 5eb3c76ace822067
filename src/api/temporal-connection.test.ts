import { createServer } from 'node:net';
import { Connection, defaultGrpcRetryOptions, makeGrpcRetryInterceptor } from '@temporalio/client';
import { afterEach, describe, expect, it } from 'vitest';
import { closedChannelGuard } from './temporal-connection';

/** A port nothing listens on: every call to it is refused, so the retry interceptor schedules a retry. */
async function refusedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

const uncaught: unknown[] = [];
const record = (err: unknown) => uncaught.push(err);

afterEach(() => {
  process.off('uncaughtException', record);
  uncaught.length = 0;
});

/** Starts a call that is refused, closes the connection while its retry waits, and lets the retry come due. */
async function closeDuringRetry(
  interceptors: NonNullable<Parameters<typeof Connection.lazy>[0]>['interceptors'],
) {
  const connection = Connection.lazy({ address: `127.0.0.1:${await refusedPort()}`, interceptors });
  process.on('uncaughtException', record);
  const call = connection.workflowService.getSystemInfo({}).then(
    () => 'answered',
    (err: Error) => err.message,
  );
  await new Promise((resolve) => setTimeout(resolve, 100));
  await connection.close();
  const outcome = await Promise.race([
    call,
    new Promise((resolve) => setTimeout(() => resolve('pending'), 1_000)),
  ]);
  return { outcome, uncaught: [...uncaught] };
}

const retryAfter400ms = makeGrpcRetryInterceptor({
  ...defaultGrpcRetryOptions({ maxAttempts: 3 }),
  delayFunction: () => 400,
});

describe('closedChannelGuard', () => {
  it('answers a retry that comes due after the connection closed with CANCELLED, not an uncaught throw', async () => {
    const { outcome, uncaught } = await closeDuringRetry([retryAfter400ms, closedChannelGuard]);
    expect(uncaught).toEqual([]);
    expect(outcome).toMatch(
      /CANCELLED: the Temporal connection was closed before \/temporal\.api\.workflowservice\.v1\.WorkflowService\/GetSystemInfo could be sent/,
    );
  });

  // The SDK's behaviour this guards against; once a release clears its retry timers on close, this fails and the guard can go.
  it('is what stands between that retry and an uncaught exception', async () => {
    const { uncaught } = await closeDuringRetry([retryAfter400ms]);
    expect(uncaught.map((err) => (err as Error).message)).toContain('Channel has been shut down');
  });
});
