import { createHash, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import { mkdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { z } from 'zod';

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
const KeyFile = z.object({ keys: z.array(ApiKeyRecord) });

export const hashKey = (key: string) => createHash('sha256').update(key).digest('hex');

/** True when a key holding `scopes` may do what `needed` allows. */
export function allows(scopes: readonly Scope[], needed: Scope): boolean {
  return scopes.some((scope) => implied[scope].includes(needed));
}

/**
 * API keys under `<dataDir>/api-keys.json`, stored as sha256 hashes of random 32-byte keys, so a
 * leaked file grants nothing. Reads are cached, and every check first looks whether the file changed
 * (a stat), so a key revoked by any process stops working at once in all of them.
 */
export class ApiKeyStore {
  readonly path: string;
  private byHash = new Map<string, ApiKeyRecord>();
  private loaded: Promise<void> | undefined;
  private version = '';

  constructor(dataDir: string) {
    this.path = join(dataDir, 'api-keys.json');
  }

  async list(): Promise<ApiKeyRecord[]> {
    await this.refresh();
    return [...this.byHash.values()];
  }

  /**
   * The key's record when it is known; undefined for anything else. Every stored hash is compared,
   * in constant time, so how long a check takes says nothing about how close a guess came.
   */
  async verify(key: string): Promise<ApiKeyRecord | undefined> {
    await this.refresh();
    const hash = Buffer.from(hashKey(key), 'hex');
    let found: ApiKeyRecord | undefined;
    for (const record of this.byHash.values()) {
      if (timingSafeEqual(Buffer.from(record.sha256, 'hex'), hash)) found = record;
    }
    return found;
  }

  /** Makes a key and returns it in clear: the only time it can be seen. */
  async create(
    name: string,
    scopes: Scope[],
    kind: 'key' | 'session' = 'key',
  ): Promise<{ key: string; record: ApiKeyRecord }> {
    await this.refresh();
    const key = `troupe_${randomBytes(32).toString('base64url')}`;
    const record: ApiKeyRecord = {
      id: randomUUID().slice(0, 8),
      name,
      scopes,
      sha256: hashKey(key),
      createdAt: new Date().toISOString(),
      ...(kind === 'session' && { kind }),
    };
    this.byHash.set(record.sha256, record);
    await this.write();
    return { key, record };
  }

  async remove(id: string): Promise<boolean> {
    await this.refresh();
    const found = [...this.byHash.values()].find((record) => record.id === id);
    if (!found) return false;
    this.byHash.delete(found.sha256);
    await this.write();
    return true;
  }

  /** Re-reads the file, for keys that another process (the CLI, another API) added. */
  async reload(): Promise<void> {
    this.loaded = undefined;
    await this.load();
  }

  /** Reloads when the file is not the one last read (another process wrote or replaced it). */
  private async refresh(): Promise<void> {
    const now = await stat(this.path).then(
      (info) => `${info.ino}:${info.size}:${info.mtimeMs}`,
      () => 'missing',
    );
    if (now !== this.version) {
      this.version = now;
      this.loaded = undefined;
    }
    await this.load();
  }

  private load(): Promise<void> {
    this.loaded ??= readFile(this.path, 'utf8')
      .then((text) => KeyFile.parse(JSON.parse(text)).keys)
      .catch((err: NodeJS.ErrnoException) => {
        if (err.code === 'ENOENT') return [];
        throw new Error(`${this.path} is not a valid key file: ${err.message}`);
      })
      .then((keys) => {
        this.byHash = new Map(keys.map((record) => [record.sha256, record]));
      });
    return this.loaded;
  }

  private async write(): Promise<void> {
    await mkdir(dirname(this.path), { recursive: true });
    const temp = `${this.path}.${process.pid}.tmp`;
    await writeFile(temp, `${JSON.stringify({ keys: [...this.byHash.values()] }, null, 2)}\n`, {
      mode: 0o600,
    });
    await rename(temp, this.path);
  }
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
