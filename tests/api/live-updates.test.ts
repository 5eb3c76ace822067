import type { ChildProcess } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { io, type Socket } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunDeltaEvent, RunSnapshotEvent, SubscribeAck } from '../../src/api/live-events';
import type { RunSnapshot } from '../../src/engine/run-snapshot';
import {
  isClosed,
  postJson,
  spawnWorker,
  startApiServerForTest,
  waitForRun,
  waitUntil,
  type Api,
} from '../helpers/harness';
import { startTestTemporal } from '../helpers/temporal';

let env: TestWorkflowEnvironment;
let api: Api;
let worker: ChildProcess;

beforeAll(async () => {
  env = await startTestTemporal();
  api = await startApiServerForTest(env, 'live updates', { apiEnv: { TROUPE_LIVE_POLL_MS: '100' } });
  worker = spawnWorker(env, api);
});

afterAll(async () => {
  worker?.kill('SIGTERM');
  await api?.close();
  await env?.teardown();
});

type Message =
  | { kind: 'snapshot'; event: RunSnapshotEvent; connection: number }
  | { kind: 'delta'; event: RunDeltaEvent; connection: number };

/**
 * A chain of shell steps. Each step in `gated` waits for a file `go-<index>` in the run's workspace (the
 * only folder its sandboxed command sees), so the test decides when the run moves on: however slow the
 * machine, every release changes the run while the test watches.
 */
const steps = (count: number, gated: number[]) =>
  Array.from({ length: count }, (_, index) => ({
    id: `s${index}`,
    kind: 'tool',
    tool: 'shell',
    with: {
      run: gated.includes(index)
        ? `while [ ! -e go-${index} ]; do sleep 0.1; done; echo done`
        : 'sleep 0.2; echo done',
    },
    ...(index > 0 && { dependsOn: [`s${index - 1}`] }),
  }));

/** Lets gated step `index` go on, once the run's workspace exists (its first step makes it). */
const release = (runId: string, index: number) =>
  waitUntil(() =>
    writeFile(join(api.config.TROUPE_DATA_DIR, 'workspaces', runId, `go-${index}`), '').then(
      () => true,
      () => false,
    ),
  );

function subscribe(socket: Socket, runId: string): Promise<SubscribeAck> {
  return socket.timeout(10_000).emitWithAck('subscribe', { runId }) as Promise<SubscribeAck>;
}

/** Applies deltas to the last snapshot, as a client would. */
function apply(run: RunSnapshot, delta: RunDeltaEvent): RunSnapshot {
  const changed = new Map(delta.steps.map((step) => [step.id, step]));
  const known = new Set(run.steps.map((step) => step.id));
  return {
    ...run,
    ...delta.run,
    steps: [
      ...run.steps.map((step) => changed.get(step.id) ?? step),
      ...delta.steps.filter((step) => !known.has(step.id)),
    ],
    compensations: delta.compensations ?? run.compensations,
  };
}

describe('Socket.IO live updates', () => {
  it(
    'sends a snapshot then gapless deltas, across a reconnect in the middle of a run, with the worker in another process',
    { timeout: 150_000 },
    async () => {
      const runId = `live-${Date.now()}`;
      const started = await postJson(`${api.baseUrl}/api/runs`, {
        runId,
        spec: { name: 'live', steps: steps(8, [1, 2, 3, 4]) },
      });
      expect(started.status).toBe(201);
      // The worker process may still be starting: wait until it answers the run's state query.
      await waitForRun(api, runId, (run) => run.steps.some((step) => step.status !== 'pending'));

      const messages: Message[] = [];
      let connection = 0;
      const socket = io(api.baseUrl, { transports: ['websocket'], reconnection: false });
      socket.on('run:snapshot', (event: RunSnapshotEvent) =>
        messages.push({ kind: 'snapshot', event, connection }),
      );
      socket.on('run:delta', (event: RunDeltaEvent) => messages.push({ kind: 'delta', event, connection }));
      await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
      expect(await subscribe(socket, runId)).toMatchObject({ ok: true });

      const deltas = () => messages.filter((message) => message.kind === 'delta').length;
      for (const gate of [1, 2, 3]) {
        await release(runId, gate);
        await waitUntil(() => deltas() >= gate, { timeoutMs: 60_000 });
      }
      socket.disconnect();
      // The run moves on while no one watches: the next snapshot must cover what was missed.
      await release(runId, 4);
      await new Promise((resolve) => setTimeout(resolve, 600));
      connection += 1;
      socket.connect();
      await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
      expect(await subscribe(socket, runId)).toMatchObject({ ok: true });

      const final = await waitForRun(api, runId, isClosed);
      expect(final.status).toBe('completed');
      await waitUntil(() => messages.at(-1)?.event.version === final.version, { timeoutMs: 60_000 });
      socket.disconnect();

      let state: RunSnapshot | undefined;
      let lastVersion = -1;
      const deltaVersions: number[] = [];
      for (const message of messages) {
        if (message.kind === 'snapshot') {
          expect(message.event.version).toBeGreaterThanOrEqual(lastVersion);
          state = message.event.run;
        } else {
          expect(message.event.from, 'a delta must start where the last message ended').toBe(lastVersion);
          expect(message.event.version).toBeGreaterThan(message.event.from);
          if (!state) throw new Error('a delta arrived before any snapshot');
          state = apply(state, message.event);
          deltaVersions.push(message.event.version);
        }
        lastVersion = message.event.version;
      }
      expect(new Set(deltaVersions).size).toBe(deltaVersions.length);
      expect(
        messages.filter((message) => message.kind === 'snapshot').map((message) => message.connection),
      ).toEqual([0, 1]);
      expect(state).toEqual(final);
    },
  );

  it('delivers each delta once to clients of two API processes that share Redis', async () => {
    const apiEnv = { TROUPE_LIVE_POLL_MS: '100', REDIS_URL: 'redis://127.0.0.1:6379' };
    const first = await startApiServerForTest(env, 'live updates', {
      apiEnv,
      dataDir: api.config.TROUPE_DATA_DIR,
    });
    const second = await startApiServerForTest(env, 'live updates', {
      apiEnv,
      dataDir: api.config.TROUPE_DATA_DIR,
    });
    try {
      const runId = `shared-${Date.now()}`;
      const started = await postJson(`${first.baseUrl}/api/runs`, {
        runId,
        spec: { name: 'shared', steps: steps(4, [1]) },
      });
      expect(started.status).toBe(201);
      await waitForRun(api, runId, (run) => run.steps.some((step) => step.status !== 'pending'));
      const received = await Promise.all(
        [first, second].map(async (server) => {
          const socket = io(server.baseUrl, { transports: ['websocket'], reconnection: false });
          const versions: [number, number][] = [];
          socket.on('run:delta', (event: RunDeltaEvent) => versions.push([event.from, event.version]));
          await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
          const ack = await subscribe(socket, runId);
          return { socket, versions, ack };
        }),
      );
      await release(runId, 1);
      const final = await waitForRun(api, runId, isClosed);
      await waitUntil(() => received.every(({ versions }) => versions.at(-1)?.[1] === final.version), {
        timeoutMs: 60_000,
      });
      for (const { socket, versions, ack } of received) {
        socket.disconnect();
        expect(ack.ok).toBe(true);
        let last = ack.ok ? ack.version : -1;
        for (const [from, version] of versions) {
          expect(from).toBe(last);
          last = version;
        }
      }
    } finally {
      await first.close();
      await second.close();
    }
  });

  it('acknowledges a subscription to an unknown run with an error, and a malformed one too', async () => {
    const socket = io(api.baseUrl, { transports: ['websocket'], reconnection: false });
    await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
    expect(await subscribe(socket, 'no-such-run')).toEqual({
      ok: false,
      error: 'no run with id "no-such-run"',
    });
    const malformed = (await socket.timeout(5000).emitWithAck('subscribe', { run: 1 })) as SubscribeAck;
    expect(malformed.ok).toBe(false);
    socket.disconnect();
  });
});
