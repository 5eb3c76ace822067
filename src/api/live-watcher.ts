import type { Server, Socket } from 'socket.io';
import type { z } from 'zod';
import { keepOpenText } from '../models/token-backlog';
import type { TokenBus, TokenChunk } from '../models/token-stream';
import type { ChangeSource, LiveChange } from './history-changes';
import { HttpError } from './http-error';
import { claimSubscription, releaseSubscription } from './subscription-limit';

/** What one kind of live thing (a run, a chat session) needs to be watched over Socket.IO. */
export type LiveKind<S extends { version: number }, D> = {
  /** Room prefix, e.g. `run`: a subscriber of id X joins `run:X`. */
  prefix: string;
  events: { subscribe: string; unsubscribe: string; snapshot: string; delta: string; tokens: string };
  /** The subscribe and unsubscribe payload, and what to say when it is wrong. */
  request: z.ZodType<Record<string, unknown>>;
  idOf: (request: Record<string, unknown>) => string;
  usage: string;
  /** The state a subscriber starts from. */
  read: (id: string) => Promise<S>;
  /** The state after a change the history showed; `read` when not given. */
  reread?: (id: string, change: LiveChange) => Promise<S>;
  diff: (before: S, after: S) => D;
  /** The snapshot event's payload. */
  snapshotEvent: (id: string, snapshot: S) => unknown;
  /** The ids (the token chunks' `stepId`) of what a delta shows no longer running: their text is whole. */
  finished: (delta: D) => string[];
  /** A snapshot after which nothing changes: watching stops. */
  closed?: (snapshot: S) => boolean;
  onDelta?: (delta: D) => void;
  /** Said when a read fails with no message of its own. */
  unreadable: string;
};

export type WatchOptions = {
  /** Says when an id may have changed (src/api/history-changes.ts). */
  changes: ChangeSource;
  tokens?: TokenBus;
  /** How many ids one socket may watch, of every kind together. */
  maxSubscriptions: number;
};

/** How often a failed read after a change is tried again (after 1, 2, 4, 8 and 16 s). */
const READ_RETRIES = 5;

/** One watched id: its follower, and its reads, one at a time. */
type Watch = { stop: () => void; reading?: Promise<void>; pending?: LiveChange };

/** Of two changes to read after, the one that says more: a close ends the history. */
const stronger = (a?: LiveChange, b?: LiveChange): LiveChange | undefined =>
  a === 'closed' || b === 'closed' ? 'closed' : (a ?? b);

/**
 * Live updates of one kind, by one rule: a subscriber gets a snapshot, then deltas that chain on
 * `version`, and the tokens of what is streaming, the text so far first. One watcher per id serves
 * all of this process's subscribers of it: while anyone watches, it follows the id's changes (a long
 * poll of its history, which costs nothing while nothing happens) and reads the state once per change.
 * Deltas and tokens go to local sockets only (`io.local`): with the Redis adapter, every API process
 * watches for its own clients, and a cluster-wide emit would deliver each one per process.
 */
export function watchLive<S extends { version: number }, D>(
  io: Server,
  kind: LiveKind<S, D>,
  { changes, tokens, maxSubscriptions }: WatchOptions,
): { close: () => void } {
  let stopped = false;
  const room = (id: string) => `${kind.prefix}:${id}`;
  const latest = new Map<string, S>();
  const watches = new Map<string, Watch>();
  const reading = new Map<string, Promise<S>>();
  const streaming = new Map<string, { open: Map<string, TokenChunk>; stop: Promise<() => void> }>();
  const watched = (id: string) => (io.of('/').adapter.rooms.get(room(id))?.size ?? 0) > 0;
  const isClosed = (snapshot: S | undefined) => snapshot !== undefined && kind.closed?.(snapshot) === true;

  const followTokens = (id: string) => {
    if (!tokens || streaming.has(id)) return;
    const open = new Map<string, TokenChunk>();
    const stop = tokens.subscribe(id, (chunk) => {
      keepOpenText(open, chunk);
      io.local.to(room(id)).emit(kind.events.tokens, chunk);
    });
    streaming.set(id, { open, stop: stop.catch(() => () => undefined) });
  };
  const unfollowTokens = (id: string) => {
    const follow = streaming.get(id);
    streaming.delete(id);
    void follow?.stop.then((stop) => stop());
  };

  /** Reads the state once and sends what changed since the last state sent; false: the read failed. */
  const readChange = async (id: string, change: LiveChange): Promise<boolean> => {
    const before = latest.get(id);
    let after: S;
    try {
      after = await (kind.reread ?? kind.read)(id, change);
    } catch (err) {
      // Gone (a deleted session) is an answer; anything else may answer later.
      return err instanceof HttpError && err.status === 404;
    }
    // A subscriber may have replaced the state meanwhile: a delta from the old one would not chain.
    if (!before || latest.get(id) !== before) return true;
    if (after.version <= before.version || !watched(id)) return true;
    latest.set(id, after);
    const delta = kind.diff(before, after);
    kind.onDelta?.(delta);
    // A call that stopped running sends nothing more: late subscribers need not see its text.
    const open = streaming.get(id)?.open;
    for (const finished of kind.finished(delta))
      for (const [stream, chunk] of open ?? []) if (chunk.stepId === finished) open?.delete(stream);
    io.local.to(room(id)).emit(kind.events.delta, delta);
    if (isClosed(after)) stopWatching(id);
    return true;
  };

  /** Reads after a change, one read at a time; changes during a read make one more read after it. */
  const changed = (id: string, watch: Watch, change: LiveChange) => {
    if (watches.get(id) !== watch) return;
    if (watch.reading) {
      watch.pending = stronger(watch.pending, change);
      return;
    }
    watch.reading = (async () => {
      let next: LiveChange | undefined = change;
      const current = () => !stopped && watches.get(id) === watch;
      for (let failures = 0; next && current();) {
        if (watch.pending === 'closed') next = 'closed';
        watch.pending = undefined;
        if (await readChange(id, next)) failures = 0;
        // No worker answered in time, or Temporal is away: the change is still unsent, so ask again.
        else if (failures < READ_RETRIES && current()) {
          failures += 1;
          await new Promise((resolve) => setTimeout(resolve, 500 * 2 ** failures).unref());
          continue;
        }
        if (next === 'closed') {
          // The history ends here; a later subscriber reads afresh unless the state says it closed.
          if (current()) {
            stopWatching(id);
            if (!isClosed(latest.get(id))) latest.delete(id);
          }
          break;
        }
        next = watch.pending;
      }
      watch.reading = undefined;
    })();
  };

  const startWatching = (id: string) => {
    if (watches.has(id) || stopped) return;
    followTokens(id);
    const watch: Watch = { stop: () => undefined };
    watches.set(id, watch);
    watch.stop = changes(id, (change) => changed(id, watch, change));
  };

  /** Stops following an id; its last state stays for subscribers still in the room. */
  const stopWatching = (id: string) => {
    watches.get(id)?.stop();
    watches.delete(id);
    unfollowTokens(id);
    if (!watched(id)) latest.delete(id);
  };

  // The last local subscriber left: nothing more is read for this id.
  const prefix = `${kind.prefix}:`;
  const roomEmptied = (name: string) => {
    if (name.startsWith(prefix)) stopWatching(name.slice(prefix.length));
  };
  io.of('/').adapter.on('delete-room', roomEmptied);

  /** The state every new subscriber starts from; many subscribing at once share one read. */
  const current = async (id: string): Promise<S> => {
    const known = latest.get(id);
    if (known) return known;
    let read = reading.get(id);
    if (!read) {
      read = kind.read(id).finally(() => reading.delete(id));
      reading.set(id, read);
    }
    const snapshot = await read;
    if (!latest.has(id)) latest.set(id, snapshot);
    return latest.get(id) ?? snapshot;
  };

  io.on('connection', (socket: Socket) => {
    socket.on(kind.events.subscribe, async (payload: unknown, ack?: (answer: unknown) => void) => {
      const reply = typeof ack === 'function' ? ack : () => undefined;
      const request = kind.request.safeParse(payload);
      if (!request.success) return reply({ ok: false, error: kind.usage });
      const id = kind.idOf(request.data);
      const claim = claimSubscription(socket, room(id), maxSubscriptions);
      if (claim === 'refused') {
        return reply({
          ok: false,
          error: `this connection already watches ${maxSubscriptions} runs and chat sessions, the most one connection may; unsubscribe from one first, or open another connection`,
        });
      }
      // Follow the tokens before reading, so a call already streaming is caught up from here on.
      followTokens(id);
      await streaming.get(id)?.stop;
      let snapshot: S;
      try {
        snapshot = await current(id);
      } catch (err) {
        if (claim === 'new') releaseSubscription(socket, room(id));
        if (!watches.has(id)) unfollowTokens(id);
        return reply({ ok: false, error: err instanceof Error ? err.message : kind.unreadable });
      }
      // Joining and sending the snapshot in one tick: every later delta starts from this version.
      const joined = socket.join(room(id));
      socket.emit(kind.events.snapshot, kind.snapshotEvent(id, snapshot));
      for (const text of streaming.get(id)?.open.values() ?? []) socket.emit(kind.events.tokens, text);
      await joined;
      reply({ ok: true, version: snapshot.version });
      if (!isClosed(snapshot)) startWatching(id);
      else if (!watches.has(id)) unfollowTokens(id);
    });
    socket.on(kind.events.unsubscribe, async (payload: unknown, ack?: (answer: unknown) => void) => {
      const request = kind.request.safeParse(payload);
      if (request.success) {
        const name = room(kind.idOf(request.data));
        releaseSubscription(socket, name);
        await socket.leave(name);
      }
      if (typeof ack === 'function')
        ack(request.success ? { ok: true, version: 0 } : { ok: false, error: kind.usage });
    });
  });

  return {
    close: () => {
      stopped = true;
      io.of('/').adapter.off('delete-room', roomEmptied);
      for (const id of [...watches.keys()]) stopWatching(id);
      for (const id of [...streaming.keys()]) unfollowTokens(id);
    },
  };
}
