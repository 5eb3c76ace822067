import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
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
 * leaked file grants nothing. Reads are cached and refreshed when the file changes size or time.
 */
export class ApiKeyStore {
  readonly path: string;
  private byHash = new Map<string, ApiKeyRecord>();
  private loaded: Promise<void> | undefined;

  constructor(dataDir: string) {
    this.path = join(dataDir, 'api-keys.json');
  }

  async list(): Promise<ApiKeyRecord[]> {
    await this.load();
    return [...this.byHash.values()];
  }

  /** The key's record when it is known; undefined for anything else. */
  async verify(key: string): Promise<ApiKeyRecord | undefined> {
    await this.load();
    return this.byHash.get(hashKey(key));
  }

  /** Makes a key and returns it in clear: the only time it can be seen. */
  async create(name: string, scopes: Scope[]): Promise<{ key: string; record: ApiKeyRecord }> {
    await this.load();
    const key = `troupe_${randomBytes(32).toString('base64url')}`;
    const record: ApiKeyRecord = {
      id: randomUUID().slice(0, 8),
      name,
      scopes,
      sha256: hashKey(key),
      createdAt: new Date().toISOString(),
    };
    this.byHash.set(record.sha256, record);
    await this.write();
    return { key, record };
  }

  async remove(id: string): Promise<boolean> {
    await this.load();
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
