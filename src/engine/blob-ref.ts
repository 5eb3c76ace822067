import { z } from 'zod';

/**
 * A large value kept out of workflow history. Activities put big strings in the blob store and pass
 * this small reference instead; activities that receive one read the content back.
 */
export const BlobRef = z.strictObject({
  $blob: z.string().regex(/^sha256:[0-9a-f]{64}$/),
  bytes: z.number().int().nonnegative(),
  preview: z.string(),
});
export type BlobRef = z.infer<typeof BlobRef>;

export function isBlobRef(value: unknown): value is BlobRef {
  return typeof value === 'object' && value !== null && '$blob' in value && BlobRef.safeParse(value).success;
}
