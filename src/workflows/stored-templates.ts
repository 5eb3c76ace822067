import { proxyActivities, workflowInfo } from '@temporalio/workflow';
import { patchedRun } from './history-patches';
import type { BlobActivities } from '../activities/blob-activities';
import { StoredValueNeeded, type ExpressionContext } from '../engine/expressions';
import { findReferences, resolveTemplates } from '../engine/template';
import { toolsQueue } from '../engine/task-queues';

/**
 * Bounded state: a big foreach runs in batch workflows, a foreach's outputs are one blob reference,
 * templates that read a stored value are resolved where the store can be read, and continue-as-new
 * carries the spec once. Asked only where one of these applies, so other runs record no marker.
 */
export const boundedStatePatch = 'bounded-state';

export function blobActivities(summary: string): BlobActivities {
  return proxyActivities<BlobActivities>({
    taskQueue: toolsQueue(workflowInfo().taskQueue),
    startToCloseTimeout: '5 minutes',
    retry: { maximumAttempts: 3, initialInterval: '1 second' },
    summary,
  });
}

/**
 * Resolves a step's templates. One that reads a stored value (its size, a field, text around it) is
 * resolved by an activity that reads the store; runs recorded before `bounded-state` read the
 * reference as a plain object, as they did. Answers a Promise only when an activity reads the store.
 */
export function resolveArgs(value: unknown, context: ExpressionContext, stepId: string): unknown {
  // Synchronous unless the store must be read: an extra await would reorder the commands of steps
  // launched together (a tool scheduled after a timer), which recorded histories would not replay.
  try {
    return resolveTemplates(value, context);
  } catch (err) {
    if (!(err instanceof StoredValueNeeded)) throw err;
    if (!patchedRun(boundedStatePatch)) return resolveTemplates(value, context, { plainRefs: true });
    return blobActivities(`${stepId} · read stored values`).resolveWithBlobs({
      value,
      context: contextRead(value, context),
    });
  }
}

/** Only what a value's templates read, so the activity's input stays small. */
export function contextRead(value: unknown, context: ExpressionContext): ExpressionContext {
  const references = findReferences(value);
  const ids = new Set(references.flatMap((reference) => reference.steps));
  const reads = (name: string) =>
    references.some((reference) => new RegExp(`\\b${name}\\b`).test(reference.expression));
  return {
    input: reads('input') ? context.input : {},
    steps: Object.fromEntries(Object.entries(context.steps).filter(([id]) => ids.has(id))),
    ...(reads('context') && context.context && { context: context.context }),
    ...(context.item !== undefined && { item: context.item }),
    ...(context.index !== undefined && { index: context.index }),
  };
}
