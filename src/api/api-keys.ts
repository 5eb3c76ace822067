import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Selectable } from 'kysely';
import { z } from 'zod';
import type { ApiKeysTable } from '../store/schema';
import type { TroupeStore } from '../store/store';

export const Scope = { Read: 'read', Run: 'run', Admin: 'admin' } as const;
export type Scope = (typeof Scope)[keyof typeof Scope];

/** What each scope may do: a run key can also read, an admin key can do everything. */
const implied: Record<Scope, Scope[]> = {
  read: ['read'],
  run: ['read', 'run'],
  admin: ['read', 'run', 'admin'],
};

export const ApiKeyRecord = z.object({
  id: z.string(),
  name: z.string(),
  scopes: z.array(z.enum(Scope)).min(1),
  /** sha256 of the key, hex: the key itself is never stored. */
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  createdAt: z.iso.datetime(),
  /** `session`: made for a browser by a one-time link, carried in its cookie; revoked like any key. */
  kind: z.enum(['key', 'session']).optional(),
});
export type ApiKeyRecord = z.infer<typeof ApiKeyRecord>;

export const hashKey = (key: string) => createHash('sha256').update(key).digest('hex');

/** True when a key holding `scopes` may do what `needed` allows. */
export function allows(scopes: readonly Scope[], needed: Scope): boolean {
  return scopes.some((scope) => implied[scope].includes(needed));
}

/**
 * API keys in the state store (src/store), as sha256 hashes of random 32-byte keys, so a leaked
 * database grants nothing. Nothing is cached: every check looks the key's hash up in the store, so
 * a key revoked by any process (another API, the CLI) is refused at once by all of them. The lookup
 * is by hash, so how long it takes says nothing about how close a guess came.
 */
export class ApiKeyStore {
  constructor(private readonly store: TroupeStore) {}

  async list(): Promise<ApiKeyRecord[]> {
    const db = await this.store.query();
    const rows = await db.selectFrom('api_keys').selectAll().orderBy('created_at').orderBy('id').execute();
    return rows.map(toRecord);
  }

  /** The key's record when it is known; undefined for anything else. */
  async verify(key: string): Promise<ApiKeyRecord | undefined> {
    const db = await this.store.query();
    const row = await db
      .selectFrom('api_keys')
      .selectAll()
      .where('sha256', '=', hashKey(key))
      .executeTakeFirst();
    return row && toRecord(row);
  }

  /** Makes a key and returns it in clear: the only time it can be seen. */
  async create(
    name: string,
    scopes: Scope[],
    kind: 'key' | 'session' = 'key',
  ): Promise<{ key: string; record: ApiKeyRecord }> {
    const key = `troupe_${randomBytes(32).toString('base64url')}`;
    const record = ApiKeyRecord.parse({
      id: randomUUID().slice(0, 8),
      name,
      scopes,
      sha256: hashKey(key),
      createdAt: new Date().toISOString(),
      ...(kind === 'session' && { kind }),
    });
    const db = await this.store.query();
    await db
      .insertInto('api_keys')
      .values({
        id: record.id,
        name: record.name,
        scopes: JSON.stringify(record.scopes),
        sha256: record.sha256,
        created_at: record.createdAt,
        kind: record.kind ?? null,
      })
      .execute();
    return { key, record };
  }

  /** Revokes a key: from the next request on, no process accepts it. */
  async remove(id: string): Promise<boolean> {
    const db = await this.store.query();
    const result = await db.deleteFrom('api_keys').where('id', '=', id).executeTakeFirst();
    return result.numDeletedRows > 0n;
  }
}

function toRecord(row: Selectable<ApiKeysTable>): ApiKeyRecord {
  return ApiKeyRecord.parse({
    id: row.id,
    name: row.name,
    scopes: JSON.parse(row.scopes) as unknown,
    sha256: row.sha256,
    createdAt: row.created_at,
    ...(row.kind && { kind: row.kind }),
  });
}

export const localKeyFile = (dataDir: string) => join(dataDir, 'local-key');

/**
 * The local key: an admin key kept in `<dataDir>/local-key` (mode 0600) for the CLI and the people
 * of this machine, made on first start. A file whose key was revoked is replaced with a new key.
 */
export async function ensureLocalKey(
  keys: ApiKeyStore,
  dataDir: string,
): Promise<{ key: string; made: boolean }> {
  const path = localKeyFile(dataDir);
  const existing = await readFile(path, 'utf8').then(
    (text) => text.trim(),
    () => undefined,
  );
  if (existing && (await keys.verify(existing))) return { key: existing, made: false };
  const { key } = await keys.create('local key', ['admin']);
  await mkdir(dataDir, { recursive: true });
  const temp = `${path}.${process.pid}.tmp`;
  await writeFile(temp, `${key}\n`, { mode: 0o600 });
  await rename(temp, path);
  return { key, made: true };
}

/** The local key of a data folder, if there is one: what the CLI sends when TROUPE_API_KEY is unset. */
export async function readLocalKey(dataDir: string): Promise<string | undefined> {
  return readFile(localKeyFile(dataDir), 'utf8').then(
    (text) => text.trim() || undefined,
    () => undefined,
  );
}
