import { useQueryClient } from '@tanstack/react-query';
import { useEffect, useSyncExternalStore } from 'react';
import { io, type Socket } from 'socket.io-client';
import { applyDelta, applyTokens, newer, type RunTokens } from './live-cache';
import { keys } from './queries';
import type {
  RunDeltaEvent,
  RunSnapshot,
  RunSnapshotEvent,
  RunSpecResponse,
  SubscribeAck,
  TokenChunk,
} from './types';

let socket: Socket | undefined;
const connectionListeners = new Set<() => void>();
let connected = false;
let everConnected = false;

/** The one Socket.IO connection, to the API's own origin, made on first use. */
export function liveSocket(): Socket {
  if (socket) return socket;
  socket = io({ path: '/socket.io', transports: ['websocket', 'polling'], reconnectionDelayMax: 2_000 });
  const update = (value: boolean) => {
    connected = value;
    if (value) everConnected = true;
    for (const listener of connectionListeners) listener();
  };
  socket.on('connect', () => update(true));
  socket.on('disconnect', () => update(false));
  socket.on('connect_error', () => update(false));
  return socket;
}

export type LiveState = 'connecting' | 'live' | 'offline';
function liveState(): LiveState {
  return connected ? 'live' : everConnected ? 'offline' : 'connecting';
}

/** Whether live events flow; after a drop the socket reconnects by itself and pages resubscribe. */
export function useLiveState(): LiveState {
  return useSyncExternalStore(
    (listener) => {
      liveSocket();
      connectionListeners.add(listener);
      return () => connectionListeners.delete(listener);
    },
    liveState,
    () => 'connecting',
  );
}

/**
 * Keeps one run's cache entries live: the snapshot after every (re)subscribe, deltas applied in order
 * (a gap resubscribes), and the text a model step is writing. Components read the run through
 * useRun; they never hold a copy of it.
 */
export function useRunLive(runId: string): void {
  const client = useQueryClient();
  useEffect(() => {
    const live = liveSocket();
    const subscribe = () => {
      live.emit('subscribe', { runId }, (ack: SubscribeAck) => {
        if (!ack.ok) console.warn(`live updates for ${runId}: ${ack.error}`);
      });
    };
    const setRun = (run: RunSnapshot) => {
      client.setQueryData(keys.run(runId), (current: RunSnapshot | undefined) => newer(current, run));
      // Steps the spec does not name yet (planned or added): fetch the spec again for their edges.
      const spec = client.getQueryData<RunSpecResponse>(keys.runSpec(runId));
      const known = new Set(spec?.spec.steps.map((step) => step.id));
      if (spec && run.steps.some((step) => !known.has(step.id))) {
        void client.invalidateQueries({ queryKey: keys.runSpec(runId) });
      }
    };
    const onSnapshot = (event: RunSnapshotEvent) => {
      if (event.runId !== runId) return;
      setRun(event.run);
    };
    const onDelta = (event: RunDeltaEvent) => {
      if (event.runId !== runId) return;
      const next = applyDelta(client.getQueryData(keys.run(runId)), event);
      if (!next) return subscribe();
      setRun(next);
      if (event.steps.some((step) => step.status === 'waiting' || step.kind === 'approval')) {
        void client.invalidateQueries({ queryKey: keys.approvals });
      }
    };
    const onTokens = (chunk: TokenChunk) => {
      if (chunk.runId !== runId) return;
      client.setQueryData(keys.tokens(runId), (tokens: RunTokens | undefined) =>
        applyTokens(tokens ?? {}, chunk),
      );
    };
    live.on('run:snapshot', onSnapshot);
    live.on('run:delta', onDelta);
    live.on('run:tokens', onTokens);
    live.on('connect', subscribe);
    if (live.connected) subscribe();
    return () => {
      live.off('run:snapshot', onSnapshot);
      live.off('run:delta', onDelta);
      live.off('run:tokens', onTokens);
      live.off('connect', subscribe);
      if (live.connected) live.emit('unsubscribe', { runId }, () => undefined);
    };
  }, [client, runId]);
}

/** After the socket comes back, every list and count is refetched once: nothing waits for a reload. */
export function useCatchUpOnReconnect(): void {
  const client = useQueryClient();
  useEffect(() => {
    const live = liveSocket();
    let first = true;
    const onConnect = () => {
      if (first) return void (first = false);
      void client.invalidateQueries({ predicate: (q) => q.queryKey[0] !== 'run' });
    };
    live.on('connect', onConnect);
    if (live.connected) first = false;
    return () => void live.off('connect', onConnect);
  }, [client]);
}
