import { createHash, randomUUID } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { isBlobRef, type BlobRef } from '../engine/blob-ref';
import { storeOf, type StoreLocation, type TroupeStore } from '../store/store';

/** Where large values live. Local disk is the default; S3-compatible or PostgreSQL stores implement the same two calls. */
export interface BlobStore {
  put(content: Buffer): Promise<string>;
  get(id: string): Promise<Buffer>;
}

/** Content-addressed files under the data folder: the same content is stored once. */
export class DiskBlobStore implements BlobStore {
  constructor(private readonly dir: string) {}

  async put(content: Buffer): Promise<string> {
    const id = blobId(content);
    await mkdir(this.dir, { recursive: true });
    const path = this.path(id);
    // Unique per put: parallel puts of the same content (a foreach printing the same text) never share it.
    const partial = `${path}.${process.pid}.${randomUUID()}.partial`;
    await writeFile(partial, content);
    await rename(partial, path);
    return id;
  }

  get(id: string): Promise<Buffer> {
    return readFile(this.path(id));
  }

  private path(id: string): string {
    const hex = /^sha256:([0-9a-f]{64})$/.exec(id)?.[1];
    if (!hex) throw new Error(`"${id}" is not a blob id (sha256:<64 hex digits>)`);
    return join(this.dir, hex);
  }
}

/**
 * Blobs in the state store's PostgreSQL database (`blobs`, content-addressed like the disk store), so
 * processes on different machines share them without a shared folder.
 */
export class DatabaseBlobStore implements BlobStore {
  constructor(private readonly store: TroupeStore) {}

  async put(content: Buffer): Promise<string> {
    const id = blobId(content);
    const db = await this.store.query();
    await db
      .insertInto('blobs')
      .values({ id, content, bytes: content.length })
      .onConflict((oc) => oc.column('id').doNothing())
      .execute();
    return id;
  }

  async get(id: string): Promise<Buffer> {
    if (!/^sha256:[0-9a-f]{64}$/.test(id))
      throw new Error(`"${id}" is not a blob id (sha256:<64 hex digits>)`);
    const db = await this.store.query();
    const row = await db.selectFrom('blobs').select('content').where('id', '=', id).executeTakeFirst();
    if (!row) throw new Error(`no blob ${id} in ${this.store.where}`);
    return Buffer.from(row.content);
  }
}

/**
 * The blob store of a location: PostgreSQL when DATABASE_URL is set (the state store's database),
 * else files under `<dataDir>/blobs`.
 */
export function blobStoreFor(location: StoreLocation): BlobStore {
  return location.DATABASE_URL
    ? new DatabaseBlobStore(storeOf(location))
    : new DiskBlobStore(join(location.TROUPE_DATA_DIR, 'blobs'));
}

const blobId = (content: Buffer) => `sha256:${createHash('sha256').update(content).digest('hex')}`;

const PREVIEW_CHARS = 200;

/** Stores a list as one JSON blob and answers its reference, which says how many items it holds. */
export async function storeList(values: unknown[], store: BlobStore): Promise<BlobRef> {
  const json = JSON.stringify(values);
  const content = Buffer.from(json);
  return {
    $blob: await store.put(content),
    bytes: content.length,
    preview: json.slice(0, PREVIEW_CHARS),
    items: values.length,
  };
}

/** The list a list reference holds, its items as stored (their own references not read back). */
export async function readList(ref: BlobRef, store: BlobStore): Promise<unknown[]> {
  const values = JSON.parse((await store.get(ref.$blob)).toString('utf8')) as unknown;
  if (!Array.isArray(values)) throw new Error(`blob ${ref.$blob} holds no list`);
  return values as unknown[];
}

/** Replaces every string longer than `threshold` bytes with a reference to its content in the store. */
export async function offloadLarge(value: unknown, store: BlobStore, threshold: number): Promise<unknown> {
  if (typeof value === 'string') {
    const bytes = Buffer.byteLength(value);
    if (bytes <= threshold) return value;
    const ref: BlobRef = {
      $blob: await store.put(Buffer.from(value)),
      bytes,
      preview: value.slice(0, PREVIEW_CHARS),
    };
    return ref;
  }
  if (Array.isArray(value)) return Promise.all(value.map((item) => offloadLarge(item, store, threshold)));
  if (typeof value === 'object' && value !== null) {
    const entries = await Promise.all(
      Object.entries(value).map(
        async ([key, item]) => [key, await offloadLarge(item, store, threshold)] as const,
      ),
    );
    return Object.fromEntries(entries);
  }
  return value;
}

/**
 * Reads back the content of every blob reference in a value, so a tool sees the real text: a string,
 * or for a list reference (a foreach's outputs) the list, its own references read back too.
 */
export async function inlineBlobs(value: unknown, store: BlobStore): Promise<unknown> {
  if (isBlobRef(value)) {
    const content = (await store.get(value.$blob)).toString('utf8');
    return value.items === undefined ? content : inlineBlobs(JSON.parse(content) as unknown, store);
  }
  if (Array.isArray(value)) return Promise.all(value.map((item) => inlineBlobs(item, store)));
  if (typeof value === 'object' && value !== null) {
    const entries = await Promise.all(
      Object.entries(value).map(async ([key, item]) => [key, await inlineBlobs(item, store)] as const),
    );
    return Object.fromEntries(entries);
  }
  return value;
}
