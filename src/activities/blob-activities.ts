import { ApplicationFailure } from '@temporalio/common';
import type { BlobRef } from '../engine/blob-ref';
import type { ExpressionContext } from '../engine/expressions';
import { resolveTemplates } from '../engine/template';
import { inlineBlobs, offloadLarge, readList, storeList, type BlobStore } from './blob-store';

export type ResolveWithBlobsInput = { value: unknown; context: ExpressionContext };

/**
 * What the workflow cannot do in its sandbox: read the blob store. A foreach step's outputs become one
 * list reference, batches' lists join into one, and templates that read a stored value (its size, a
 * field of it, or text around it) are resolved here, with the value read back.
 */
export const createBlobActivities = (blobs: BlobStore, thresholdBytes: number) => ({
  /** Stores a foreach step's outputs as one blob: the step's output is then one small reference. */
  async storeOutputs({ values }: { values: unknown[] }): Promise<BlobRef> {
    return storeList(values, blobs);
  },

  /** Joins the lists of a foreach step's batches, in order, into one list reference. */
  async joinOutputs({ parts }: { parts: BlobRef[] }): Promise<BlobRef> {
    const lists = [];
    for (const part of parts) lists.push(await readList(part, blobs));
    return storeList(lists.flat(), blobs);
  },

  /**
   * Resolves templates against a context whose stored values are read back; a result larger than the
   * threshold goes back to the store, so only a reference returns to the workflow.
   */
  async resolveWithBlobs({ value, context }: ResolveWithBlobsInput): Promise<unknown> {
    const inlined = (await inlineBlobs(context, blobs)) as ExpressionContext;
    let resolved: unknown;
    try {
      resolved = resolveTemplates(value, inlined);
    } catch (err) {
      throw ApplicationFailure.create({
        type: 'InvalidTemplate',
        message: (err as Error).message,
        nonRetryable: true,
      });
    }
    return offloadLarge(resolved, blobs, thresholdBytes);
  },
});

export type BlobActivities = ReturnType<typeof createBlobActivities>;
