import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { z } from 'zod';
import { closeRedis, connectRedis, type RedisClient } from '../redis';
import { foldChunks, inOrder, keepOpenText } from './token-backlog';

/**
 * Tokens as a model writes them, from the worker that calls the model to the API that shows them.
 * They never enter Temporal history: the step's output does, once, when the call ends.
 */
export const TokenChunk = z.object({
  runId: z.string(),
  stepId: z.string(),
  /** One model call: an agent makes several per step, and a failover makes another. */
  stream: z.string(),
  modelId: z.string(),
  /** Where `text` starts in the call's output, so a client sees a gap or a repeat at once. */
  offset: z.int().min(0),
  text: z.string(),
  /** The call's last chunk: the output is complete (or the call failed). */
  done: z.boolean(),
});
export type TokenChunk = z.infer<typeof TokenChunk>;

export type TokenListener = (chunk: TokenChunk) => void;

/** Carries chunks from model calls to whoever watches the run. Publishing never fails a call. */
export interface TokenBus {
  publish(chunk: TokenChunk): void;
  /** Calls `listener` with the run's chunks until the returned function is called. */
  subscribe(runId: string, listener: TokenListener): Promise<() => void>;
  close(): Promise<void>;
}

/** How often a call's new text is sent: often enough to look live, rare enough to stay cheap. */
export const TOKEN_FLUSH_MS = 50;

/**
 * Batches one model call's text deltas into chunks. `write` is called per delta as the stream
 * arrives; the first delta goes out at once (the time to first token is what a reader waits on),
 * later ones at most every `flushMs`; `end` sends what is left, marked done.
 */
export function tokenWriter(
  bus: TokenBus,
  call: { runId: string; stepId: string; modelId: string },
  flushMs = TOKEN_FLUSH_MS,
) {
  const stream = randomUUID();
  let offset = 0;
  let pending = '';
  let ended = false;
  let timer: NodeJS.Timeout | undefined;
  const flush = (done: boolean) => {
    clearTimeout(timer);
    timer = undefined;
    if (!pending && !done) return;
    try {
      bus.publish({ ...call, stream, offset, text: pending, done });
    } catch {
      // A live view must never fail the call it shows.
    }
    offset += pending.length;
    pending = '';
  };
  return {
    write(delta: string) {
      if (!delta || ended) return;
      pending += delta;
      // Nothing sent yet: the first text goes at once, the rest in batches.
      if (offset === 0) flush(false);
      else timer ??= setTimeout(() => flush(false), flushMs);
    },
    end() {
      if (ended) return;
      ended = true;
      flush(true);
    },
  };
}

/** How long a run's backlog is kept after its last chunk, and how many chunks it holds at most. */
const BACKLOG_TTL_S = 15 * 60;
const BACKLOG_CHUNKS = 2_000;

const runEvent = (runId: string) => `run:${runId}`;
const ipcKey = 'troupeTokens';
/** Set by `npm start` on its children: their IPC channel to the supervisor carries token chunks. */
export const TOKEN_IPC_ENV = 'TROUPE_TOKEN_IPC';

/**
 * The bus inside one process, bridged over the IPC channel `npm start` opens to each child: a worker
 * sends its chunks to the supervisor, which passes them to the API process.
 */
class ProcessTokenBus implements TokenBus {
  private readonly events = new EventEmitter().setMaxListeners(0);
  private readonly ipc = process.env[TOKEN_IPC_ENV] === '1';
  /** Each run's calls still streaming, their text so far: what a late subscriber is sent first. */
  private readonly open = new Map<string, { calls: Map<string, TokenChunk>; at: number }>();
  private sweptAt = Date.now();

  constructor() {
    if (!this.ipc) return;
    process.on('message', (message: unknown) => {
      if (!isTokenMessage(message)) return;
      const chunk = TokenChunk.safeParse(message[ipcKey]);
      if (chunk.success) this.deliver(chunk.data);
    });
  }

  publish(chunk: TokenChunk): void {
    this.deliver(chunk);
    if (this.ipc && process.connected)
      process.send?.({ [ipcKey]: chunk }, undefined, undefined, () => undefined);
  }

  subscribe(runId: string, listener: TokenListener): Promise<() => void> {
    for (const chunk of this.open.get(runId)?.calls.values() ?? []) listener({ ...chunk });
    this.events.on(runEvent(runId), listener);
    return Promise.resolve(() => void this.events.off(runEvent(runId), listener));
  }

  close(): Promise<void> {
    return Promise.resolve();
  }

  private deliver(chunk: TokenChunk): void {
    const now = Date.now();
    const run = this.open.get(chunk.runId) ?? { calls: new Map<string, TokenChunk>(), at: now };
    keepOpenText(run.calls, chunk);
    run.at = now;
    if (run.calls.size > 0) this.open.set(chunk.runId, run);
    else this.open.delete(chunk.runId);
    // A call whose worker died never sends its done chunk: now and then, forget runs that went quiet.
    if (now - this.sweptAt > 60_000) {
      this.sweptAt = now;
      for (const [id, quiet] of this.open) if (now - quiet.at > BACKLOG_TTL_S * 1000) this.open.delete(id);
    }
    this.events.emit(runEvent(chunk.runId), chunk);
  }
}

let processBus: ProcessTokenBus | undefined;

/** This process's bus: model calls and the API in one process meet here. */
export function processTokenBus(): TokenBus {
  return (processBus ??= new ProcessTokenBus());
}

/** Whether an IPC message is a token chunk, so the supervisor can pass it on. */
export function isTokenMessage(message: unknown): message is Record<typeof ipcKey, unknown> {
  return typeof message === 'object' && message !== null && ipcKey in message;
}

const channel = (runId: string) => `troupe:tokens:${runId}`;
/** A Redis stream per run of the chunks sent lately, so a subscriber that comes late catches up. */
const backlogKey = (runId: string) => `troupe:tokens:backlog:${runId}`;

/**
 * Redis pub/sub: workers and API processes on any machine, one channel per run, and beside it a
 * short stream of the run's recent chunks that a subscriber reads first, so a viewer that arrives
 * (or reloads) while a call streams sees its text from the start. Publishing never queues while Redis
 * is away (tokens that late are worth nothing); the subscriber connection opens on the first
 * subscribe, so workers, which only publish, hold one connection.
 */
class RedisTokenBus implements TokenBus {
  private sub: Promise<RedisClient> | undefined;

  private constructor(
    private readonly url: string,
    private readonly pub: RedisClient,
  ) {}

  static async connect(url: string): Promise<RedisTokenBus> {
    return new RedisTokenBus(url, await connectRedis(url, 'the token stream', { disableOfflineQueue: true }));
  }

  publish(chunk: TokenChunk): void {
    if (!this.pub.isReady) return;
    const message = JSON.stringify(chunk);
    const key = backlogKey(chunk.runId);
    this.pub
      .multi()
      .publish(channel(chunk.runId), message)
      .xAdd(
        key,
        '*',
        { chunk: message },
        {
          TRIM: { strategy: 'MAXLEN', strategyModifier: '~', threshold: BACKLOG_CHUNKS },
        },
      )
      .expire(key, BACKLOG_TTL_S)
      .exec()
      .catch(() => undefined);
  }

  async subscribe(runId: string, listener: TokenListener): Promise<() => void> {
    const deliver = inOrder(listener);
    // Live chunks that arrive while the backlog is read wait for it; `inOrder` drops the repeats.
    let early: TokenChunk[] | undefined = [];
    const onMessage = (message: string) => {
      const chunk = TokenChunk.safeParse(parseJson(message));
      if (!chunk.success) return;
      if (early) early.push(chunk.data);
      else deliver(chunk.data);
    };
    this.sub ??= connectRedis(this.url, 'the token stream');
    const sub = await this.sub;
    await sub.subscribe(channel(runId), onMessage);
    const backlog = await this.pub.xRange(backlogKey(runId), '-', '+').catch(() => []);
    const recorded = backlog.flatMap(({ message }) => {
      const chunk = TokenChunk.safeParse(parseJson(message.chunk ?? ''));
      return chunk.success ? [chunk.data] : [];
    });
    for (const chunk of foldChunks(recorded)) deliver(chunk);
    for (const chunk of early) deliver(chunk);
    early = undefined;
    return () => void sub.unsubscribe(channel(runId), onMessage).catch(() => undefined);
  }

  async close(): Promise<void> {
    const sub = await this.sub?.catch(() => undefined);
    await Promise.all([closeRedis(this.pub), closeRedis(sub)]);
  }
}

/** Redis when REDIS_URL is set (processes anywhere), else this process and its `npm start` siblings. */
export async function openTokenBus(redisUrl: string | undefined): Promise<TokenBus> {
  return redisUrl ? RedisTokenBus.connect(redisUrl) : processTokenBus();
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
