import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { io, type Socket } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunDeltaEvent, RunSnapshotEvent, SubscribeAck } from '../../src/api/live-events';
import type { RpcCount } from '../../src/api/rpc-count';
import type { RunSnapshot } from '../../src/engine/run-snapshot';
import {
  isClosed,
  postJson,
  startApiServerForTest,
  startWorker,
  waitForRun,
  waitUntil,
  type Api,
} from '../helpers/harness';
import { bundleWorkflows, startTestTemporal } from '../helpers/temporal';

let env: TestWorkflowEnvironment;
let api: Api & { rpcs?: RpcCount };
let worker: { stop: () => Promise<void> };

const LIMIT = 3;

beforeAll(async () => {
  const [started, bundle] = await Promise.all([startTestTemporal(), bundleWorkflows()]);
  env = started;
  api = await startApiServerForTest(env, 'live watching', {
    countRpcs: true,
    apiEnv: { TROUPE_LIVE_MAX_SUBSCRIPTIONS: String(LIMIT) },
  });
  worker = await startWorker(env, api, bundle);
}, 180_000);

afterAll(async () => {
  await worker?.stop();
  await api?.close();
  await env?.teardown();
});

/** Shell steps in a chain, each waiting for a file `go-<index>` in the run's workspace. */
const gatedSpec = (count: number) => ({
  name: 'gated',
  steps: Array.from({ length: count }, (_, index) => ({
    id: `s${index}`,
    kind: 'tool',
    tool: 'shell',
    with: { run: `while [ ! -e go-${index} ]; do sleep 0.1; done; echo done` },
    ...(index > 0 && { dependsOn: [`s${index - 1}`] }),
  })),
});
const idleSpec = { name: 'idle', steps: [{ id: 'hold', kind: 'wait', with: { duration: '10m' } }] };

const release = (runId: string, index: number) =>
  waitUntil(() =>
    writeFile(join(api.config.TROUPE_DATA_DIR, 'workspaces', runId, `go-${index}`), '').then(
      () => true,
      () => false,
    ),
  );

async function connect(): Promise<Socket> {
  const socket = io(api.baseUrl, { transports: ['websocket'], reconnection: false, forceNew: true });
  await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
  return socket;
}

const subscribe = (socket: Socket, event: string, payload: unknown) =>
  socket.timeout(20_000).emitWithAck(event, payload) as Promise<SubscribeAck>;

async function startRun(spec: unknown): Promise<string> {
  const started = await postJson(`${api.baseUrl}/api/runs`, { spec });
  expect(started.status).toBe(201);
  return started.body.runId as string;
}

/** The Temporal calls of the API so far, once they have stopped coming (nothing left in flight). */
async function settledRpcs(): Promise<number> {
  let last = -1;
  let steady = 0;
  await waitUntil(
    async () => {
      const now = (await api.rpcs?.total()) ?? 0;
      steady = now === last ? steady + 1 : 0;
      last = now;
      return steady >= 4;
    },
    { everyMs: 250, timeoutMs: 60_000, what: 'the API to stop calling Temporal' },
  );
  return last;
}

type Message = { kind: 'snapshot'; event: RunSnapshotEvent } | { kind: 'delta'; event: RunDeltaEvent };

function record(socket: Socket): Message[] {
  const messages: Message[] = [];
  socket.on('run:snapshot', (event: RunSnapshotEvent) => messages.push({ kind: 'snapshot', event }));
  socket.on('run:delta', (event: RunDeltaEvent) => messages.push({ kind: 'delta', event }));
  return messages;
}

/** Replays a client's messages: each snapshot starts over, each delta must start where the last ended. */
function replay(messages: Message[]): RunSnapshot {
  let state: RunSnapshot | undefined;
  for (const message of messages) {
    if (message.kind === 'snapshot') {
      state = message.event.run;
      continue;
    }
    if (!state) throw new Error('a delta arrived before any snapshot');
    expect(message.event.from, 'a delta must start where the last message ended').toBe(state.version);
    expect(message.event.version).toBeGreaterThan(message.event.from);
    const changed = new Map(message.event.steps.map((step) => [step.id, step]));
    state = {
      ...state,
      ...message.event.run,
      steps: state.steps.map((step) => changed.get(step.id) ?? step),
      compensations: message.event.compensations ?? state.compensations,
    };
  }
  if (!state) throw new Error('no snapshot arrived');
  return state;
}

describe('live watching', () => {
  it(
    'costs an idle watched run at most one Temporal call over seconds, however many watch it, and still delivers its changes',
    { timeout: 180_000 },
    async () => {
      const runId = await startRun(gatedSpec(2));
      await waitForRun(api, runId, (run) => run.steps[0]?.status === 'running');
      const sockets = await Promise.all(Array.from({ length: 4 }, connect));
      const messages = sockets.map(record);
      expect(await subscribe(sockets[0]!, 'subscribe', { runId })).toMatchObject({ ok: true });

      // Nothing happens in the run while its first step waits for its gate.
      const quiet = await settledRpcs();
      for (const socket of sockets.slice(1))
        expect(await subscribe(socket, 'subscribe', { runId })).toMatchObject({ ok: true });
      await new Promise((resolve) => setTimeout(resolve, 3_000));
      const later = (await api.rpcs?.total()) ?? 0;
      // One long poll stays open; at most one more starts if the server ended the first meanwhile.
      expect(later - quiet).toBeLessThanOrEqual(1);

      // One subscriber drops and comes back while the others keep the run watched.
      sockets[1]!.disconnect();
      await release(runId, 0);
      await waitUntil(() => messages[0]!.some((message) => message.kind === 'delta'), {
        timeoutMs: 60_000,
        what: 'a delta after the first gate',
      });
      sockets[1]!.connect();
      await new Promise<void>((resolve) => sockets[1]!.once('connect', () => resolve()));
      expect(await subscribe(sockets[1]!, 'subscribe', { runId })).toMatchObject({ ok: true });
      await release(runId, 1);

      const final = await waitForRun(api, runId, isClosed);
      await waitUntil(() => messages.every((each) => each.at(-1)?.event.version === final.version), {
        timeoutMs: 60_000,
        what: 'every client to see the final version',
      });
      for (const [index, each] of messages.entries()) {
        expect(replay(each), `client ${index}`).toEqual(final);
        const versions = each.filter((m) => m.kind === 'delta').map((m) => m.event.version);
        expect(new Set(versions).size).toBe(versions.length);
      }
      expect(messages[1]!.filter((message) => message.kind === 'snapshot')).toHaveLength(2);
      for (const socket of sockets) socket.disconnect();
    },
  );

  it('refuses a subscription past the per-connection limit with an error that says so, runs and chat sessions together', async () => {
    const runIds = await Promise.all(Array.from({ length: LIMIT + 1 }, () => startRun(idleSpec)));
    const socket = await connect();
    for (const runId of runIds.slice(0, LIMIT))
      expect(await subscribe(socket, 'subscribe', { runId })).toMatchObject({ ok: true });

    const refused = await subscribe(socket, 'subscribe', { runId: runIds[LIMIT] });
    expect(refused).toEqual({
      ok: false,
      error: `this connection already watches ${LIMIT} runs and chat sessions, the most one connection may; unsubscribe from one first, or open another connection`,
    });
    expect(await subscribe(socket, 'chat:subscribe', { sessionId: 'any-session' })).toEqual(refused);
    // A run it already watches is no new subscription.
    expect(await subscribe(socket, 'subscribe', { runId: runIds[0] })).toMatchObject({ ok: true });
    // Another connection has a limit of its own.
    const other = await connect();
    expect(await subscribe(other, 'subscribe', { runId: runIds[LIMIT] })).toMatchObject({ ok: true });

    expect(await subscribe(socket, 'unsubscribe', { runId: runIds[0] })).toMatchObject({ ok: true });
    expect(await subscribe(socket, 'subscribe', { runId: runIds[LIMIT] })).toMatchObject({ ok: true });
    // A subscription that fails takes no place.
    expect(await subscribe(socket, 'unsubscribe', { runId: runIds[1] })).toMatchObject({ ok: true });
    expect(await subscribe(socket, 'subscribe', { runId: 'no-such-run' })).toEqual({
      ok: false,
      error: 'no run with id "no-such-run"',
    });
    expect(await subscribe(socket, 'subscribe', { runId: runIds[1] })).toMatchObject({ ok: true });
    socket.disconnect();
    other.disconnect();
  });
});
