import { z } from 'zod';
import { lazySchema } from './lazy-schema';

/**
 * A large value kept out of workflow history. Activities put big strings in the blob store and pass
 * this small reference instead; activities that receive one read the content back. A reference with
 * `items` holds a JSON list (a foreach step's outputs) of that many entries.
 */
export const BlobRef = lazySchema(() =>
  z.strictObject({
    $blob: z.string().regex(/^sha256:[0-9a-f]{64}$/),
    bytes: z.number().int().nonnegative(),
    preview: z.string(),
    items: z.number().int().nonnegative().optional(),
  }),
);
export type BlobRef = z.infer<typeof BlobRef>;

export function isBlobRef(value: unknown): value is BlobRef {
  return typeof value === 'object' && value !== null && '$blob' in value && BlobRef.safeParse(value).success;
}

/** Where in a value blob references stand, as paths, e.g. [['stdout']]; at most `limit` of them. */
export function blobPaths(value: unknown, at: (string | number)[] = [], limit = 3): (string | number)[][] {
  if (isBlobRef(value)) return [at];
  const found: (string | number)[][] = [];
  const entries: [string | number, unknown][] = Array.isArray(value)
    ? value.map((item, index) => [index, item])
    : typeof value === 'object' && value !== null
      ? Object.entries(value)
      : [];
  for (const [key, item] of entries) {
    if (found.length >= limit) break;
    found.push(...blobPaths(item, [...at, key], limit - found.length));
  }
  return found;
}
