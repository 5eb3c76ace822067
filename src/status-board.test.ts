import { randomUUID } from 'node:crypto';
import { mkdtemp, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import { connectRedis, type RedisClient } from './redis';
import { FileStatusStore, RedisStatusStore, StatusKind, statusStore, type StatusStore } from './status-board';

const REDIS_URL = 'redis://127.0.0.1:6379';
const Entry = z.object({ host: z.string(), pid: z.int(), updatedAt: z.string(), n: z.int() });
type Entry = z.infer<typeof Entry>;
const entry = (host: string, pid: number, n: number): Entry => ({
  host,
  pid,
  updatedAt: new Date().toISOString(),
  n,
});
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

let raw: RedisClient | undefined;
const prefixes: string[] = [];
const rawRedis = async () => (raw ??= await connectRedis(REDIS_URL, 'the status board test'));
/** A key prefix of this test's own, whose keys are deleted after it. */
const freshPrefix = () => {
  const prefix = `troupe-test:${randomUUID()}`;
  prefixes.push(prefix);
  return prefix;
};

afterEach(async () => {
  const client = await rawRedis();
  for (const prefix of prefixes.splice(0)) {
    for await (const keys of client.scanIterator({ MATCH: `${prefix}:*` }))
      if (keys.length > 0) await client.del(keys);
  }
});
afterAll(() => raw?.close());

const stores: [string, () => Promise<StatusStore>][] = [
  ['files', async () => new FileStatusStore(await mkdtemp(join(tmpdir(), 'troupe-status-')))],
  ['redis', () => Promise.resolve(new RedisStatusStore(REDIS_URL, StatusKind.Agents, freshPrefix(), 15_000))],
];

describe.each(stores)('the %s status store', (backend, make) => {
  it("reads back every process's latest entry and forgets one that was removed", async () => {
    const store = await make();
    expect(store.backend).toBe(backend);
    // Two identities on another host: the files' store cannot check their pids, so they count as live.
    const a = store.writer<Entry>('test', { host: 'host-a', pid: 11 });
    const b = store.writer<Entry>('test', { host: 'host-b', pid: 22 });
    await a.write(entry('host-a', 11, 1));
    await a.write(entry('host-a', 11, 2));
    await b.write(entry('host-b', 22, 3));

    const read = await store.read(Entry);
    expect(read.error).toBeUndefined();
    expect(read.live.map(({ host, pid, n }) => ({ host, pid, n })).sort((x, y) => x.n - y.n)).toEqual([
      { host: 'host-a', pid: 11, n: 2 },
      { host: 'host-b', pid: 22, n: 3 },
    ]);

    await a.remove();
    await b.remove();
    expect((await store.read(Entry)).live).toEqual([]);
  });

  it('skips entries that do not parse', async () => {
    const store = await make();
    const writer = store.writer<Entry>('test', { host: 'host-c', pid: 33 });
    await writer.write({ ...entry('host-c', 33, 1), n: 'not a number' } as unknown as Entry);
    await store.writer<Entry>('test', { host: 'host-d', pid: 44 }).write(entry('host-d', 44, 4));
    expect((await store.read(Entry)).live.map(({ n }) => n)).toEqual([4]);
    await writer.remove();
  });
});

describe('the Redis status store', () => {
  it("renews a running process's entry and lets a killed process's entry expire within the TTL", async () => {
    const prefix = freshPrefix();
    const store = new RedisStatusStore(REDIS_URL, StatusKind.Workers, prefix, 600);
    const alive = store.writer<Entry>('test', { host: 'alive', pid: 1 });
    await alive.write(entry('alive', 1, 1));
    // A process that died without removing its entry: its key was written with the TTL and never renewed.
    const client = await rawRedis();
    await client.set(`${prefix}:workers:gone-2`, JSON.stringify(entry('gone', 2, 2)), { PX: 600 });
    expect((await store.read(Entry)).live.map(({ host }) => host).sort()).toEqual(['alive', 'gone']);
    expect(await client.pTTL(`${prefix}:workers:alive-1`)).toBeLessThanOrEqual(600);

    await sleep(1500);
    const read = await store.read(Entry);
    expect(read.live.map(({ host }) => host)).toEqual(['alive']);
    // Renewals move updatedAt, which the API shows as when the process was last seen.
    expect(Date.now() - Date.parse(read.live[0]!.updatedAt)).toBeLessThan(600);
    await alive.remove();
    expect(await client.exists(`${prefix}:workers:alive-1`)).toBe(0);
  });

  it('keys entries by kind, so kinds sharing a prefix do not mix', async () => {
    const prefix = freshPrefix();
    const agents = new RedisStatusStore(REDIS_URL, StatusKind.Agents, prefix);
    const workers = new RedisStatusStore(REDIS_URL, StatusKind.Workers, prefix);
    const writer = agents.writer<Entry>('test', { host: 'h', pid: 5 });
    await writer.write(entry('h', 5, 5));
    expect(await (await rawRedis()).keys(`${prefix}:*`)).toEqual([`${prefix}:agents:h-5`]);
    expect((await workers.read(Entry)).live).toEqual([]);
    await writer.remove();
  });

  it('while Redis is unreachable, writes log once and do not throw, and reads say why they found nothing', async () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    try {
      const store = new RedisStatusStore('redis://127.0.0.1:1', StatusKind.Agents, freshPrefix());
      const writer = store.writer<Entry>('agents', { host: 'h', pid: 6 });
      await expect(writer.write(entry('h', 6, 1))).resolves.toBeUndefined();
      await expect(writer.write(entry('h', 6, 2))).resolves.toBeUndefined();
      const read = await store.read(Entry);
      expect(read.live).toEqual([]);
      expect(read.error).toMatch(/status from Redis is unavailable: .*REDIS_URL/);
      const published = warn.mock.calls.filter(([line]) => String(line).includes('could not publish'));
      expect(published).toHaveLength(1);
      expect(String(published[0]![0])).not.toContain('redis://');
      await writer.remove();
    } finally {
      warn.mockRestore();
    }
  }, 30_000);
});

describe('statusStore', () => {
  it("chooses Redis when REDIS_URL is set and the kind's directory under the data dir otherwise", async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'troupe-status-'));
    const files = statusStore(StatusKind.Breakers, { TROUPE_DATA_DIR: dataDir });
    expect(files).toBeInstanceOf(FileStatusStore);
    expect((files as FileStatusStore).dir).toBe(join(dataDir, 'models', 'breakers'));
    await files.writer<Entry>('test', { host: 'h', pid: 7 }).write(entry('h', 7, 7));
    expect(await readdir(join(dataDir, 'models', 'breakers'))).toEqual(['h-7.json']);

    const redis = statusStore(StatusKind.Breakers, { TROUPE_DATA_DIR: dataDir, REDIS_URL });
    expect(redis).toBeInstanceOf(RedisStatusStore);
    expect(redis.backend).toBe('redis');
  });
});
