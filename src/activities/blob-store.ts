import { createHash } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { isBlobRef, type BlobRef } from '../engine/blob-ref';

/** Where large values live. Local disk is the default; S3-compatible or PostgreSQL stores implement the same two calls. */
export interface BlobStore {
  put(content: Buffer): Promise<string>;
  get(id: string): Promise<Buffer>;
}

/** Content-addressed files under the data folder: the same content is stored once. */
export class DiskBlobStore implements BlobStore {
  constructor(private readonly dir: string) {}

  async put(content: Buffer): Promise<string> {
    const id = `sha256:${createHash('sha256').update(content).digest('hex')}`;
    await mkdir(this.dir, { recursive: true });
    const path = this.path(id);
    const partial = `${path}.${process.pid}.partial`;
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

const PREVIEW_CHARS = 200;

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

/** Reads back the content of every blob reference in a value, so a tool sees the real text. */
export async function inlineBlobs(value: unknown, store: BlobStore): Promise<unknown> {
  if (isBlobRef(value)) return (await store.get(value.$blob)).toString('utf8');
  if (Array.isArray(value)) return Promise.all(value.map((item) => inlineBlobs(item, store)));
  if (typeof value === 'object' && value !== null) {
    const entries = await Promise.all(
      Object.entries(value).map(async ([key, item]) => [key, await inlineBlobs(item, store)] as const),
    );
    return Object.fromEntries(entries);
  }
  return value;
}
