import type { Server as HttpServer, IncomingMessage } from 'node:http';
import type { Client } from '@temporalio/client';
import { createAdapter } from '@socket.io/redis-adapter';
import { Server, type Socket } from 'socket.io';
import { readAgentStatus } from '../agents/agent-status';
import type { StatusStore } from '../status-board';
import type { RunSnapshot } from '../engine/run-snapshot';
import type { TokenBus } from '../models/token-stream';
import { closeRedis, connectRedis } from '../redis';
import { presentedCredential, type Authorizer } from './auth';
import { HttpError } from './http-error';
import { diffRun, LiveEvent, SubscribeRequest, type RunDeltaEvent, type SubscribeAck } from './live-events';
import { historyChanges } from './history-changes';
import { watchLive } from './live-watcher';
import { readRun, readRunChange } from './run-reader';
import type { RequestGuards } from './request-guards';

const closed = new Set(['completed', 'failed', 'cancelled']);
const agentsRoom = 'agents';

export type LiveUpdates = { io: Server; close: () => Promise<void> };

/**
 * Live run updates over Socket.IO. Each API process follows the histories of the runs its own clients
 * watch (only while someone watches, one long poll per run), reads the `runState` query once per
 * completed workflow task, and emits a delta to its local sockets when the version grows, so it works
 * with workers anywhere and several API processes, and writes nothing to history. Deltas go to local
 * sockets only (`io.local`): with the Redis adapter, every process watches for its own clients, and a
 * cluster-wide emit would deliver each delta once per process.
 */
export async function attachLiveUpdates(
  server: HttpServer,
  {
    client,
    auth,
    guards,
    uiOrigin,
    redisUrl,
    pollMs,
    maxSubscriptions,
    onStepChange,
    onClients,
    agentStatusDir,
    tokens,
  }: {
    client: Client;
    auth: Authorizer;
    /** Host and Origin checks of every handshake request, WebSocket upgrades included. */
    guards?: RequestGuards;
    uiOrigin?: string;
    redisUrl?: string;
    /** How often the agents' status files are read while someone watches them. */
    pollMs: number;
    /** How many runs and chat sessions one socket may watch. */
    maxSubscriptions: number;
    onStepChange?: (status: string) => void;
    onClients?: (count: number) => void;
    /** Where workers publish agent status; with it, clients can follow the agents live. */
    /** Where the workers publish agent status (the status store, or its directory). */
    agentStatusDir?: string | StatusStore;
    /** Where model calls send their tokens; with it, clients see the text of running steps as it streams. */
    tokens?: TokenBus;
  },
): Promise<LiveUpdates> {
  const io = new Server(server, {
    cors: { origin: uiOrigin ?? false },
    serveClient: false,
    maxHttpBufferSize: 64 * 1024,
    // A connection that never passes the key check below is closed after 10 s, not Socket.IO's 45.
    connectTimeout: 10_000,
    // `cors` covers only HTTP polling; this runs for every handshake, so a page elsewhere is refused.
    allowRequest: (req, callback) => {
      const problem = guards?.handshake(req);
      if (problem !== undefined) return callback(problem, false);
      void handshakeAllowed(auth, req).then(
        () => callback(null, true),
        (err: unknown) => callback(err instanceof HttpError ? err.message : 'unauthorized', false),
      );
    },
  });
  const redis = redisUrl ? await connectAdapterClients(redisUrl) : undefined;
  if (redis) io.adapter(createAdapter(redis.pub, redis.sub));

  const runs = watchLive<RunSnapshot, RunDeltaEvent>(
    io,
    {
      prefix: 'run',
      events: {
        subscribe: LiveEvent.Subscribe,
        unsubscribe: LiveEvent.Unsubscribe,
        snapshot: LiveEvent.Snapshot,
        delta: LiveEvent.Delta,
        tokens: LiveEvent.Tokens,
      },
      request: SubscribeRequest,
      idOf: (request) => String(request.runId),
      usage: 'send {runId: string}',
      read: (runId) => readRun(client, runId),
      reread: (runId, change) => readRunChange(client, runId, change),
      diff: diffRun,
      snapshotEvent: (runId, run) => ({ runId, version: run.version, run }),
      finished: (delta) => delta.steps.filter(({ status }) => status !== 'running').map(({ id }) => id),
      closed: (run) => closed.has(run.status),
      onDelta: (delta) => {
        for (const step of delta.steps) onStepChange?.(step.status);
      },
      unreadable: 'cannot read the run',
    },
    { changes: historyChanges(client), maxSubscriptions, ...(tokens && { tokens }) },
  );

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
      .check(typeof token === 'string' ? token : presentedCredential(socket.handshake.headers), 'read')
      .then(() => next())
      .catch((err: unknown) => next(new Error(err instanceof HttpError ? err.message : 'unauthorized')));
  });

  io.on('connection', (socket: Socket) => {
    onClients?.(io.engine.clientsCount);
    socket.on('disconnect', () => onClients?.(io.engine.clientsCount));

    socket.on(LiveEvent.AgentsSubscribe, async (_payload: unknown, ack?: (answer: SubscribeAck) => void) => {
      const reply = typeof ack === 'function' ? ack : () => undefined;
      if (!agentStatusDir) return reply({ ok: false, error: 'this API has no agent status' });
      await socket.join(agentsRoom);
      socket.emit(LiveEvent.AgentsStatus, await readAgentStatus(agentStatusDir));
      reply({ ok: true, version: 0 });
    });
  });

  return {
    io,
    close: async () => {
      runs.close();
      if (agentTimer) clearInterval(agentTimer);
      // With Redis down, the adapter's unsubscribes on close would wait for it to come back.
      if (redis && !redis.sub.isReady) redis.sub.destroy();
      await io.close();
      await Promise.all([closeRedis(redis?.pub), closeRedis(redis?.sub)]);
    },
  };
}

/**
 * The key rule of the Socket.IO connect, applied to Engine.IO's handshake too, so no session id is
 * handed out without a key when keys are required. The key comes in the Authorization header, which
 * socket.io-client sends with `extraHeaders` (polling, and websockets outside browsers). A browser's
 * websocket cannot send headers: a websocket handshake without one goes on to the Socket.IO connect,
 * which needs `auth.token` and is refused without it.
 */
function handshakeAllowed(auth: Authorizer, req: IncomingMessage): Promise<unknown> {
  const credential = presentedCredential(req.headers);
  const transport = new URL(req.url ?? '/', 'http://localhost').searchParams.get('transport');
  // A WebSocket client (the CLI) may send its key in the Socket.IO auth payload instead: checked at connect.
  if (transport === 'websocket' && credential === undefined) return Promise.resolve();
  return auth.check(credential, 'read');
}

async function connectAdapterClients(url: string) {
  const pub = await connectRedis(url, 'Socket.IO');
  const sub = await connectRedis(url, 'Socket.IO').catch(async (err: unknown) => {
    await pub.close();
    throw err;
  });
  return { pub, sub };
}
