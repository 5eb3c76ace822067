import { hostname } from 'node:os';
import { join } from 'node:path';
import type { z } from 'zod';
import type { Config } from './config';
import { connectRedis, type RedisClient } from './redis';
import {
  isLive,
  readStatusFiles,
  StatusFileWriter,
  statusFilePath,
  type StatusFileHeader,
} from './status-files';

/** The live state worker processes publish for the API: agent status, breakers and worker slots. */
export const StatusKind = { Agents: 'agents', Breakers: 'breakers', Workers: 'workers' } as const;
export type StatusKind = (typeof StatusKind)[keyof typeof StatusKind];

/** Where each kind's status files live under the data dir when there is no Redis. */
const fileDirs: Record<StatusKind, string[]> = {
  agents: ['agents', 'status'],
  breakers: ['models', 'breakers'],
  workers: ['workers', 'status'],
};

/** One process's entry: written whenever its state changes, removed when the process stops cleanly. */
export interface StatusWriter<T extends StatusFileHeader> {
  write(body: T): Promise<void>;
  remove(): Promise<void>;
  /** Resolves once every write so far has landed (or failed and been logged). */
  settled(): Promise<void>;
}

/**
 * What a read found: `live` are entries of processes that run, `stale` are entries of processes that
 * have gone (the files' store keeps them; Redis lets them expire). `error` says why a read saw nothing.
 */
export type StatusRead<T> = { live: T[]; stale: T[]; error?: string };

/** One kind of status, shared between the processes that publish it and the API that reads it. */
export interface StatusStore {
  /** `files` or `redis`, as the API reports it. */
  readonly backend: 'files' | 'redis';
  /** This process's entry; `suffix` tells apart several in one process. */
  writer<T extends StatusFileHeader>(what: string, self?: ProcessId, suffix?: string): StatusWriter<T>;
  /** Every entry that parses with `schema`; with `maxAgeMs`, entries older than that count as stale. */
  read<T extends StatusFileHeader>(
    schema: z.ZodType<T>,
    options?: { maxAgeMs?: number; now?: number },
  ): Promise<StatusRead<T>>;
}

export type ProcessId = { host: string; pid: number };
const thisProcess = (): ProcessId => ({ host: hostname(), pid: process.pid });

/** A directory of `<host>-<pid>.json` files: the store of one host, or of hosts sharing a volume. */
export class FileStatusStore implements StatusStore {
  readonly backend = 'files';

  constructor(readonly dir: string) {}

  writer<T extends StatusFileHeader>(what: string, self = thisProcess(), suffix = ''): StatusWriter<T> {
    return new StatusFileWriter<T>(this.dir, statusFilePath(this.dir, self, suffix), what);
  }

  async read<T extends StatusFileHeader>(
    schema: z.ZodType<T>,
    { maxAgeMs, now = Date.now() }: { maxAgeMs?: number; now?: number } = {},
  ): Promise<StatusRead<T>> {
    const files = await readStatusFiles(this.dir, schema);
    const live = files.filter((file) => isLive(file, { ...(maxAgeMs !== undefined && { maxAgeMs }), now }));
    return { live, stale: files.filter((file) => !live.includes(file)) };
  }
}

/**
 * One Redis connection for the status of this process, opened on first use. Commands fail at once
 * while Redis is away (no offline queue), so neither a worker nor an API request waits on it. A
 * failed first connect is tried again on the next use, at most every few seconds.
 */
class StatusRedis {
  private client: RedisClient | undefined;
  private connecting: Promise<void> | undefined;
  private lastTry = 0;
  private lastError = '';

  constructor(private readonly url: string) {}

  /** The client, or an error saying Redis cannot be reached now. */
  async ready(): Promise<RedisClient> {
    if (!this.client && !this.connecting && Date.now() - this.lastTry > 5000) {
      this.lastTry = Date.now();
      this.connecting = connectRedis(this.url, 'the status board', { disableOfflineQueue: true })
        .then((client) => {
          client.unref();
          this.client = client;
        })
        .catch((err: Error) => {
          this.lastError = err.message;
        })
        .finally(() => (this.connecting = undefined));
    }
    await this.connecting;
    if (this.client?.isReady) return this.client;
    throw new Error(
      this.client ? 'Redis is unreachable (reconnecting)' : this.lastError || 'Redis is unreachable',
    );
  }
}

const connections = new Map<string, StatusRedis>();

/**
 * Redis keys `<prefix>:<kind>:<host>-<pid>`, each with a TTL that its process renews every third of
 * it, so a killed process's entries vanish within the TTL wherever it ran. Reads SCAN the kind's keys
 * and MGET them. A failed write is logged once per outage; a failed read answers nothing, with why.
 */
export class RedisStatusStore implements StatusStore {
  readonly backend = 'redis';
  private readonly redis: StatusRedis;

  constructor(
    url: string,
    private readonly kind: StatusKind,
    private readonly prefix = 'troupe:status',
    private readonly ttlMs = 15_000,
  ) {
    let redis = connections.get(url);
    if (!redis) connections.set(url, (redis = new StatusRedis(url)));
    this.redis = redis;
  }

  writer<T extends StatusFileHeader>(what: string, self = thisProcess(), suffix = ''): StatusWriter<T> {
    const key = `${this.prefix}:${this.kind}:${self.host}-${self.pid}${suffix}`;
    const redis = this.redis;
    const ttlMs = this.ttlMs;
    let last: T | undefined;
    let failing = false;
    let writing: Promise<void> = Promise.resolve();
    let timer: NodeJS.Timeout | undefined;
    const queue = (task: (client: RedisClient) => Promise<unknown>) =>
      (writing = writing
        .then(async () => {
          await task(await redis.ready());
          if (failing) console.warn(`${what}: publishing status to Redis again`);
          failing = false;
        })
        .catch((err: unknown) => {
          if (!failing) console.warn(`${what}: could not publish status to Redis: ${(err as Error).message}`);
          failing = true;
        }));
    const put = () => {
      if (!last) return writing;
      const body = { ...last, updatedAt: new Date().toISOString() };
      return queue((client) => client.set(key, JSON.stringify(body), { PX: ttlMs }));
    };
    return {
      write: (body) => {
        last = body;
        if (!timer) {
          timer = setInterval(() => void put(), Math.max(Math.floor(ttlMs / 3), 100));
          timer.unref();
        }
        return put();
      },
      remove: () => {
        clearInterval(timer);
        timer = undefined;
        last = undefined;
        return queue((client) => client.del(key));
      },
      settled: () => writing,
    };
  }

  async read<T extends StatusFileHeader>(schema: z.ZodType<T>): Promise<StatusRead<T>> {
    try {
      const client = await this.redis.ready();
      const keys: string[] = [];
      for await (const batch of client.scanIterator({ MATCH: `${this.prefix}:${this.kind}:*`, COUNT: 200 }))
        keys.push(...batch);
      if (keys.length === 0) return { live: [], stale: [] };
      const texts = await client.mGet(keys);
      const live = texts.flatMap((text) => {
        if (text === null) return [];
        const parsed = schema.safeParse(safeJson(text));
        return parsed.success ? [parsed.data] : [];
      });
      return { live, stale: [] };
    } catch (err) {
      return { live: [], stale: [], error: `status from Redis is unavailable: ${(err as Error).message}` };
    }
  }
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

export type StatusSettings = Pick<Config, 'TROUPE_DATA_DIR'> &
  Partial<Pick<Config, 'REDIS_URL' | 'TROUPE_STATUS_KEY_PREFIX' | 'TROUPE_STATUS_TTL_MS'>>;

/** The one place that chooses: Redis when REDIS_URL is set, else the status files in the data dir. */
export function statusStore(kind: StatusKind, settings: StatusSettings): StatusStore {
  return settings.REDIS_URL
    ? new RedisStatusStore(
        settings.REDIS_URL,
        kind,
        settings.TROUPE_STATUS_KEY_PREFIX,
        settings.TROUPE_STATUS_TTL_MS,
      )
    : new FileStatusStore(join(settings.TROUPE_DATA_DIR, ...fileDirs[kind]));
}

/** A directory (the files' store, as tests and older callers pass) or a store. */
export function asStatusStore(where: string | StatusStore): StatusStore {
  return typeof where === 'string' ? new FileStatusStore(where) : where;
}
