import type { Server as HttpServer } from 'node:http';
import type { Client } from '@temporalio/client';
import { createAdapter } from '@socket.io/redis-adapter';
import { Server, type Socket } from 'socket.io';
import { readAgentStatus } from '../agents/agent-status';
import type { RunSnapshot } from '../engine/run-snapshot';
import type { TokenBus, TokenChunk } from '../models/token-stream';
import { connectRedis } from '../redis';
import type { Authorizer } from './auth';
import { HttpError } from './http-error';
import { diffRun, LiveEvent, SubscribeRequest, type SubscribeAck } from './live-events';
import { readRun } from './run-reader';

const closed = new Set(['completed', 'failed', 'cancelled']);
const room = (runId: string) => `run:${runId}`;
const agentsRoom = 'agents';

export type LiveUpdates = { io: Server; close: () => Promise<void> };

/**
 * Live run updates over Socket.IO. Each API process polls the `runState` query of the runs its own
 * clients watch (only while someone watches) and emits a delta to its local sockets when the version
 * grows, so it works with workers anywhere and several API processes, and writes nothing to history.
 * Deltas go to local sockets only (`io.local`): with the Redis adapter, every process polls for its own
 * clients, and a cluster-wide emit would deliver each delta once per process.
 */
export async function attachLiveUpdates(
  server: HttpServer,
  {
    client,
    auth,
    uiOrigin,
    redisUrl,
    pollMs,
    onStepChange,
    onClients,
    agentStatusDir,
    tokens,
  }: {
    client: Client;
    auth: Authorizer;
    uiOrigin?: string;
    redisUrl?: string;
    pollMs: number;
    onStepChange?: (status: string) => void;
    onClients?: (count: number) => void;
    /** Where workers publish agent status; with it, clients can follow the agents live. */
    agentStatusDir?: string;
    /** Where model calls send their tokens; with it, clients see the text of running steps as it streams. */
    tokens?: TokenBus;
  },
): Promise<LiveUpdates> {
  const io = new Server(server, {
    cors: { origin: uiOrigin ?? false },
    serveClient: false,
    maxHttpBufferSize: 64 * 1024,
  });
  const redis = redisUrl ? await connectAdapterClients(redisUrl) : undefined;
  if (redis) io.adapter(createAdapter(redis.pub, redis.sub));

  let stopped = false;
  const latest = new Map<string, RunSnapshot>();
  const polling = new Set<string>();
  const reading = new Map<string, Promise<RunSnapshot>>();
  const watched = (runId: string) => (io.of('/').adapter.rooms.get(room(runId))?.size ?? 0) > 0;

  const pollOnce = async (runId: string) => {
    const before = latest.get(runId);
    const after = await readRun(client, runId).catch(() => undefined);
    // A subscriber may have replaced the state meanwhile: a delta from the old one would not chain.
    if (!before || !after || latest.get(runId) !== before) return;
    if (after.version <= before.version || !watched(runId)) return;
    latest.set(runId, after);
    const delta = diffRun(before, after);
    for (const step of delta.steps) onStepChange?.(step.status);
    // A call whose step stopped running will send nothing more: late subscribers need not see it.
    const open = streaming.get(runId)?.open;
    for (const step of delta.steps.filter(({ status }) => status !== 'running'))
      for (const [stream, chunk] of open ?? []) if (chunk.stepId === step.id) open?.delete(stream);
    io.local.to(room(runId)).emit(LiveEvent.Delta, delta);
  };

  // Tokens of the watched runs, and the text of each call still streaming, for clients that join late.
  const streaming = new Map<string, { open: Map<string, TokenChunk>; stop: Promise<() => void> }>();
  const followTokens = (runId: string) => {
    if (!tokens || streaming.has(runId)) return;
    const open = new Map<string, TokenChunk>();
    const stop = tokens.subscribe(runId, (chunk) => {
      keepOpenText(open, chunk);
      io.local.to(room(runId)).emit(LiveEvent.Tokens, chunk);
    });
    streaming.set(runId, { open, stop: stop.catch(() => () => undefined) });
  };
  const unfollowTokens = (runId: string) => {
    const follow = streaming.get(runId);
    streaming.delete(runId);
    void follow?.stop.then((stop) => stop());
  };

  const startPolling = (runId: string) => {
    if (polling.has(runId)) return;
    polling.add(runId);
    followTokens(runId);
    const loop = async () => {
      while (watched(runId) && !closed.has(latest.get(runId)?.status ?? '')) {
        await new Promise((resolve) => setTimeout(resolve, pollMs));
        if (stopped) break;
        await pollOnce(runId);
      }
      polling.delete(runId);
      unfollowTokens(runId);
      if (!watched(runId)) latest.delete(runId);
    };
    void loop();
  };

  // Agent status: read the workers' files while someone watches, and emit when anything changed.
  let agentStatus = '';
  const agentsWatched = () => (io.of('/').adapter.rooms.get(agentsRoom)?.size ?? 0) > 0;
  const agentTimer =
    agentStatusDir &&
    setInterval(
      () => {
        if (!agentsWatched()) return;
        void readAgentStatus(agentStatusDir).then((status) => {
          const text = JSON.stringify(status);
          if (text === agentStatus) return;
          agentStatus = text;
          io.local.to(agentsRoom).emit(LiveEvent.AgentsStatus, status);
        });
      },
      Math.max(pollMs, 500),
    );

  io.use((socket, next) => {
    const token = (socket.handshake.auth as { token?: unknown }).token;
    auth
      .check(typeof token === 'string' ? token : undefined, 'read')
      .then(() => next())
      .catch((err: unknown) => next(new Error(err instanceof HttpError ? err.message : 'unauthorized')));
  });

  io.on('connection', (socket: Socket) => {
    onClients?.(io.engine.clientsCount);
    socket.on('disconnect', () => onClients?.(io.engine.clientsCount));

    socket.on(LiveEvent.Subscribe, async (payload: unknown, ack?: (answer: SubscribeAck) => void) => {
      const reply = typeof ack === 'function' ? ack : () => undefined;
      const request = SubscribeRequest.safeParse(payload);
      if (!request.success) return reply({ ok: false, error: 'send {runId: string}' });
      const { runId } = request.data;
      // Follow the run's tokens before reading it, so a call already streaming is caught up from here.
      followTokens(runId);
      await streaming.get(runId)?.stop;
      const giveUp = (error: string) => {
        if (!polling.has(runId)) unfollowTokens(runId);
        reply({ ok: false, error });
      };
      if (!latest.has(runId)) {
        try {
          // Many clients subscribing at once to a run nobody watched share one read.
          let read = reading.get(runId);
          if (!read) {
            read = readRun(client, runId).finally(() => reading.delete(runId));
            reading.set(runId, read);
          }
          const snapshot = await read;
          if (!latest.has(runId)) latest.set(runId, snapshot);
        } catch (err) {
          return giveUp(err instanceof Error ? err.message : 'cannot read the run');
        }
      }
      const snapshot = latest.get(runId);
      if (!snapshot) return giveUp(`run "${runId}" is not available`);
      // Joining and sending the snapshot in one tick: every later delta starts from this version.
      const joined = socket.join(room(runId));
      socket.emit(LiveEvent.Snapshot, { runId, version: snapshot.version, run: snapshot });
      for (const text of streaming.get(runId)?.open.values() ?? []) socket.emit(LiveEvent.Tokens, text);
      await joined;
      reply({ ok: true, version: snapshot.version });
      if (!closed.has(snapshot.status)) startPolling(runId);
      else if (!polling.has(runId)) unfollowTokens(runId);
    });

    socket.on(LiveEvent.AgentsSubscribe, async (_payload: unknown, ack?: (answer: SubscribeAck) => void) => {
      const reply = typeof ack === 'function' ? ack : () => undefined;
      if (!agentStatusDir) return reply({ ok: false, error: 'this API has no agent status' });
      await socket.join(agentsRoom);
      socket.emit(LiveEvent.AgentsStatus, await readAgentStatus(agentStatusDir));
      reply({ ok: true, version: 0 });
    });

    socket.on(LiveEvent.Unsubscribe, async (payload: unknown, ack?: (answer: SubscribeAck) => void) => {
      const request = SubscribeRequest.safeParse(payload);
      if (request.success) await socket.leave(room(request.data.runId));
      if (typeof ack === 'function')
        ack(request.success ? { ok: true, version: 0 } : { ok: false, error: 'send {runId: string}' });
    });
  });

  return {
    io,
    close: async () => {
      stopped = true;
      if (agentTimer) clearInterval(agentTimer);
      for (const runId of [...streaming.keys()]) unfollowTokens(runId);
      await io.close();
      await Promise.all([redis?.pub.close(), redis?.sub.close()]).catch(() => undefined);
    },
  };
}

/** The most a late subscriber is sent of a call still streaming: its last 64 KB of text. */
const MAX_OPEN_TEXT = 64 * 1024;

/** Keeps each open call's text so far as one chunk; a done call is forgotten. */
function keepOpenText(open: Map<string, TokenChunk>, chunk: TokenChunk): void {
  const seen = open.get(chunk.stream);
  if (chunk.done) {
    open.delete(chunk.stream);
    return;
  }
  if (!seen || seen.offset + seen.text.length !== chunk.offset) {
    open.set(chunk.stream, { ...chunk });
    return;
  }
  seen.text += chunk.text;
  let over = seen.text.length - MAX_OPEN_TEXT;
  // Never cut a UTF-16 surrogate pair in two.
  if (over > 0 && /[\uDC00-\uDFFF]/.test(seen.text.charAt(over))) over += 1;
  if (over > 0) {
    seen.text = seen.text.slice(over);
    seen.offset += over;
  }
}

async function connectAdapterClients(url: string) {
  const pub = await connectRedis(url, 'Socket.IO');
  const sub = await connectRedis(url, 'Socket.IO').catch(async (err: unknown) => {
    await pub.close();
    throw err;
  });
  return { pub, sub };
}
