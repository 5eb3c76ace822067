import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdir, mkdtemp, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { blobStoreFor, DatabaseBlobStore, DiskBlobStore } from '../activities/blob-store';
import { ApiKeyStore, hashKey } from '../api/api-keys';
import { SpecStore } from '../api/spec-store';
import type { OutcomeRecord } from '../learning/outcome-record';
import { StoreOutcomeStore } from '../learning/outcome-store';
import { StoreCostLedger, type LedgerEntry } from '../models/cost-ledger';
import { loadConfig } from '../config';
import { legacyFiles } from './import-files';
import { sqliteStorePath, TroupeStore, type StoreLocation } from './store';
import { testDatabases } from '../../tests/helpers/test-databases';

const run = promisify(execFile);
/** Databases of this file's own (dropped after it). */
const databases = testDatabases('troupe_store_test');

const stores: TroupeStore[] = [];
/** A store instance of its own, as a second process would have: its own connection or pool. */
function open(location: StoreLocation): TroupeStore {
  const store = new TroupeStore(location);
  stores.push(store);
  return store;
}

afterAll(async () => {
  await Promise.all(stores.map((store) => store.close()));
  await databases.dropAll();
});

const tempDir = () => mkdtemp(join(tmpdir(), 'troupe-store-'));

type Backend = { name: string; location: () => Promise<StoreLocation> };
const backends: Backend[] = [
  { name: 'SQLite', location: async () => ({ TROUPE_DATA_DIR: await tempDir() }) },
  {
    name: 'PostgreSQL',
    location: async () => ({ TROUPE_DATA_DIR: await tempDir(), DATABASE_URL: await databases.fresh() }),
  },
];

const entry = (over: Partial<LedgerEntry> = {}): LedgerEntry => ({
  ts: '2026-12-02T10:00:00.000Z',
  runId: 'run-1',
  stepId: 'ask',
  modelId: 'gpt-4o',
  provider: 'openai',
  inputTokens: 10,
  outputTokens: 20,
  costUsd: 0.25,
  latencyMs: 12,
  outcome: 'ok',
  ...over,
});

const outcome = (over: Partial<OutcomeRecord> = {}): OutcomeRecord => ({
  runId: 'run-1',
  specName: 'paced',
  stepId: 'work',
  inputTokens: 0,
  outputTokens: 0,
  costUsd: 0,
  durationMs: 2500,
  attempts: 1,
  success: true,
  score: 100,
  grade: 'EXCELLENT',
  features: { stepKind: 'tool', capabilities: [], inputTokens: 0, specName: 'paced' },
  endedAt: '2026-12-02T10:00:02.500Z',
  ...over,
});

const specYaml = (name: string) =>
  `name: ${name}\nsteps:\n  - id: greet\n    kind: tool\n    tool: shell\n    with:\n      run: printf hi\n`;

const migrationsOf = async (store: TroupeStore) => {
  const db = await store.query();
  const rows = await db
    .selectFrom('troupe_migrations' as never)
    .select('name' as never)
    .execute();
  return (rows as { name: string }[]).map((row) => row.name);
};

/** Opens a store in a new Node process and prints what its migration left, as `npm start`'s parts do at once. */
async function migrateInChild(location: StoreLocation): Promise<string> {
  const storeModule = fileURLToPath(new URL('./store.ts', import.meta.url));
  const script = `
    const { TroupeStore } = await import(${JSON.stringify(storeModule)});
    const store = new TroupeStore(JSON.parse(process.env.STORE_LOCATION));
    const db = await store.query();
    const calls = await db.selectFrom('model_calls').selectAll().execute();
    console.log(calls.length);
    await store.close();`;
  const { stdout } = await run(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
    env: { ...process.env, STORE_LOCATION: JSON.stringify(location) },
    timeout: 60_000,
  });
  return stdout.trim();
}

describe.each(backends)('the state store on $name', ({ location }) => {
  let where: StoreLocation;
  let first: TroupeStore;
  let second: TroupeStore;

  beforeAll(async () => {
    where = await location();
    first = open(where);
    await first.query();
    second = open(where);
    await second.query();
  });

  it('migrates once per database, however often and by however many stores it is opened', async () => {
    expect(await migrationsOf(first)).toEqual(['0001_state', '0002_import_data_files', '0003_alerts']);
    const third = open(where);
    expect(await migrationsOf(third)).toEqual(['0001_state', '0002_import_data_files', '0003_alerts']);
    await third.close();
    expect(await migrationsOf(open(where))).toEqual(['0001_state', '0002_import_data_files', '0003_alerts']);
    if (!where.DATABASE_URL) {
      // The embedded file is private to its user, as the key file was.
      expect((await stat(sqliteStorePath(where.TROUPE_DATA_DIR))).mode & 0o777).toBe(0o600);
      expect(first.where).toBe(sqliteStorePath(where.TROUPE_DATA_DIR));
    } else {
      expect(first.where).toMatch(/^PostgreSQL at 127\.0\.0\.1:5432\/troupe_store_test_/);
    }
  });

  it('sees a key made by one process in another, and refuses it in every process once revoked', async () => {
    const keys = new ApiKeyStore(first);
    const elsewhere = new ApiKeyStore(second);
    const { key, record } = await keys.create('dashboard', ['read']);
    expect(record.sha256).toBe(hashKey(key));
    expect(await elsewhere.verify(key)).toEqual(record);
    expect((await elsewhere.list()).map((listed) => listed.id)).toContain(record.id);
    expect(await elsewhere.verify(`${key}x`)).toBeUndefined();
    expect(await elsewhere.remove(record.id)).toBe(true);
    expect(await keys.verify(key)).toBeUndefined();
    expect(await new ApiKeyStore(open(where)).verify(key)).toBeUndefined();
    expect(await keys.remove(record.id)).toBe(false);
    const session = await keys.create('browser', ['admin'], 'session');
    expect((await elsewhere.verify(session.key))?.kind).toBe('session');
  });

  it('saves, replaces, lists and removes a spec, every change seen by the other process', async () => {
    const specs = new SpecStore(first);
    const elsewhere = new SpecStore(second);
    const yaml = specYaml('hello');
    const saved = await specs.save('hello', yaml);
    expect(saved).toMatchObject({ name: 'hello', yaml, spec: { name: 'hello' } });
    expect((await elsewhere.get('hello')).yaml).toBe(yaml);
    const changed = yaml.replace('printf hi', 'printf hello');
    await elsewhere.save('hello', changed);
    expect((await specs.get('hello')).yaml).toBe(changed);
    await specs.save('another', specYaml('another'));
    expect((await elsewhere.list()).map((spec) => spec.name)).toEqual(['another', 'hello']);
    await elsewhere.remove('hello');
    expect(await specs.find('hello')).toBeUndefined();
    await expect(specs.get('hello')).rejects.toThrow(/no saved spec "hello"/);
    expect(await specs.find('../etc/passwd')).toBeUndefined();
  });

  it('keeps one outcome record per run and step, the last write winning, oldest first', async () => {
    const outcomes = new StoreOutcomeStore(first);
    const runId = `outcomes-${randomUUID()}`;
    await outcomes.put(outcome({ runId, stepId: 'late', endedAt: '2026-12-02T11:00:00.000Z' }));
    await outcomes.put(outcome({ runId, success: false, score: 0, grade: 'POOR' }));
    await new StoreOutcomeStore(second).put(outcome({ runId }));
    const mine = (await new StoreOutcomeStore(second).list()).filter((record) => record.runId === runId);
    expect(mine.map((record) => [record.stepId, record.grade])).toEqual([
      ['work', 'EXCELLENT'],
      ['late', 'EXCELLENT'],
    ]);
    await expect(outcomes.put({ ...outcome(), attempts: 0 })).rejects.toThrow(/attempts/);
  });

  it('sums a day of the ledger over every process, and lists entries since a day', async () => {
    const ledger = new StoreCostLedger(first);
    const day = '2031-01-05';
    await ledger.record(entry({ ts: `${day}T01:00:00.000Z`, costUsd: 0.5 }));
    await new StoreCostLedger(second).record(
      entry({ ts: `${day}T02:00:00.000Z`, costUsd: 0.25, agent: 'a' }),
    );
    await ledger.record(entry({ ts: '2031-01-06T00:00:00.000Z', costUsd: 1 }));
    expect(await new StoreCostLedger(second).spentOn(day)).toBeCloseTo(0.75);
    const since = await ledger.entries(day);
    expect(since.map((e) => e.costUsd)).toEqual([0.5, 0.25, 1]);
    expect(since[1]).toEqual(entry({ ts: `${day}T02:00:00.000Z`, costUsd: 0.25, agent: 'a' }));
  });

  it('never lets concurrent holds of two processes take more than the day budget', async () => {
    const ledgers = [new StoreCostLedger(first), new StoreCostLedger(second)];
    let round = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.integer({ min: 1, max: 40 }), { minLength: 2, maxLength: 40 }),
        fc.integer({ min: 10, max: 200 }),
        async (cents, limitCents) => {
          const day = `2040-01-${String((round++ % 28) + 1).padStart(2, '0')}-${randomUUID().slice(0, 6)}`;
          const limitUsd = limitCents / 100;
          const holds = await Promise.all(
            cents.map((c, i) =>
              ledgers[i % 2]!.holdDay({ day, usd: c / 100, limitUsd, ttlMs: 60_000 }).then((hold) => ({
                hold,
                usd: c / 100,
              })),
            ),
          );
          const held = holds.filter(({ hold }) => hold.ok).reduce((sum, { usd }) => sum + usd, 0);
          expect(held).toBeLessThanOrEqual(limitUsd + 1e-9);
          // What was refused did not fit: the holds granted plus it exceed the limit.
          for (const { hold, usd } of holds)
            if (!hold.ok) expect(held + usd).toBeGreaterThan(limitUsd - 1e-9);
          await Promise.all(holds.map(({ hold }) => (hold.ok ? hold.release() : Promise.resolve())));
        },
      ),
      { numRuns: 15 },
    );
  });

  it('counts spent money and live holds against the day, and frees a hold on release or when it expires', async () => {
    const ledger = new StoreCostLedger(first);
    const other = new StoreCostLedger(second);
    const day = `2041-02-03-${randomUUID().slice(0, 6)}`;
    // A day of this test's own (a suffix keeps reruns apart), so the call is recorded under it directly.
    const db = await first.query();
    await db
      .insertInto('model_calls')
      .values({ ts: '2041-02-03T00:00:00.000Z', day, run_id: 'r', model_id: 'm', cost_usd: 0.6, entry: '{}' })
      .execute();
    const hold = await ledger.holdDay({ day, usd: 0.3, limitUsd: 1, ttlMs: 60_000 });
    expect(hold.ok).toBe(true);
    const refused = await other.holdDay({ day, usd: 0.2, limitUsd: 1, ttlMs: 60_000 });
    expect(refused).toEqual({ ok: false, spentUsd: 0.6, heldUsd: 0.3 });
    if (hold.ok) await hold.release();
    expect((await other.holdDay({ day, usd: 0.2, limitUsd: 1, ttlMs: 1 })).ok).toBe(true);
    await new Promise((done) => setTimeout(done, 20));
    // The last hold expired (its process "died"): it no longer counts.
    expect((await other.holdDay({ day, usd: 0.4, limitUsd: 1, ttlMs: 60_000 })).ok).toBe(true);
  });

  it('keeps a blob once per content and reads it back from another process', async () => {
    const content = Buffer.from(`a large answer ${randomUUID()} `.repeat(1000));
    const id = await new DatabaseBlobStore(first).put(content);
    expect(await new DatabaseBlobStore(first).put(content)).toBe(id);
    expect((await new DatabaseBlobStore(second).get(id)).equals(content)).toBe(true);
    await expect(new DatabaseBlobStore(second).get(`sha256:${'0'.repeat(64)}`)).rejects.toThrow(/no blob/);
    await expect(new DatabaseBlobStore(second).get('../x')).rejects.toThrow(/not a blob id/);
    // PostgreSQL when DATABASE_URL is set; files under the data folder otherwise.
    expect(blobStoreFor(where)).toBeInstanceOf(where.DATABASE_URL ? DatabaseBlobStore : DiskBlobStore);
  });

  it('imports the files of an older Troupe once, however many processes start at once', async () => {
    const dataDir = await tempDir();
    const files = legacyFiles(dataDir);
    const key = 'troupe_old-key';
    await writeFile(
      files.apiKeys,
      JSON.stringify({
        keys: [
          {
            id: 'k1',
            name: 'old',
            scopes: ['run'],
            sha256: hashKey(key),
            createdAt: '2026-01-01T00:00:00.000Z',
          },
        ],
      }),
    );
    await mkdir(files.specs, { recursive: true });
    await writeFile(join(files.specs, 'kept.yaml'), specYaml('kept'));
    await mkdir(join(dataDir, 'ledger'), { recursive: true });
    const lines = [entry({ costUsd: 0.1 }), entry({ costUsd: 0.2 })].map((e) => JSON.stringify(e));
    await writeFile(files.ledger, `${lines.join('\n')}\n{"ts": "cut sho`);
    await mkdir(join(dataDir, 'outcomes'), { recursive: true });
    await writeFile(
      files.outcomes,
      [outcome({ grade: 'POOR', score: 0, success: false }), outcome()]
        .map((o) => JSON.stringify(o))
        .join('\n'),
    );
    const fresh = { ...(await location()), TROUPE_DATA_DIR: dataDir };
    // Four processes open the store together; each sees the two ledger lines, imported once.
    expect(await Promise.all([1, 2, 3, 4].map(() => migrateInChild(fresh)))).toEqual(['2', '2', '2', '2']);
    const store = open(fresh);
    expect((await new ApiKeyStore(store).verify(key))?.name).toBe('old');
    expect((await new SpecStore(store).get('kept')).spec.name).toBe('kept');
    expect(await new StoreCostLedger(store).spentOn('2026-12-02')).toBeCloseTo(0.3);
    expect(await new StoreOutcomeStore(store).list()).toEqual([outcome()]);
  });
});

describe('DATABASE_URL', () => {
  it('refuses what is not a postgres URL, never showing the value, and reads an empty one as unset', () => {
    expect(() => loadConfig({ DATABASE_URL: 'mysql://root:secret@127.0.0.1/troupe' })).toThrow(
      /DATABASE_URL=\(not shown\): expected postgres:\/\//,
    );
    try {
      loadConfig({ DATABASE_URL: 'mysql://root:secret@127.0.0.1/troupe' });
    } catch (err) {
      expect((err as Error).message).not.toContain('secret');
    }
    expect(loadConfig({ DATABASE_URL: '' }).DATABASE_URL).toBeUndefined();
    expect(loadConfig({ DATABASE_URL: 'postgresql://u:p@db:6543/troupe' }).DATABASE_URL).toBe(
      'postgresql://u:p@db:6543/troupe',
    );
  });

  it('names the store it cannot reach, without the password, and tries again on the next query', async () => {
    const store = open({
      TROUPE_DATA_DIR: await tempDir(),
      DATABASE_URL: 'postgres://troupe:hunter2@127.0.0.1:1/troupe',
    });
    const failure = store.query();
    await expect(failure).rejects.toThrow(
      /^Troupe's state store \(PostgreSQL at 127\.0\.0\.1:1\/troupe\) cannot be opened: .*ECONNREFUSED/,
    );
    await failure.catch((err: Error) => expect(err.message).not.toContain('hunter2'));
    await expect(store.query()).rejects.toThrow(/cannot be opened/);
  });
});
