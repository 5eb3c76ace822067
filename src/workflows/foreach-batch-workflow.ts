import { RunState } from '../engine/run-state';
import type { Spec } from '../engine/spec';
import { runItems, type ForeachBatchInput, type ForeachBatchResult } from './foreach-step';
import { blobActivities } from './stored-templates';

/**
 * Runs one batch of a foreach step's items for the run that started it (its workspace and ids, given
 * by the memo the run sets), `lanes` at a time, and stores their outputs as one blob. Its history holds
 * one batch, so a foreach of any size stays within Temporal's limits.
 */
export async function foreachBatch(batch: ForeachBatchInput): Promise<ForeachBatchResult> {
  const { step, items, offset, context, budget } = batch;
  const spec: Spec = {
    name: `${step.id}-batch`,
    steps: [step],
    maxParallel: 1,
    contextPolicy: 'last-writer',
    ...(budget && { budget: { usd: Math.max(0, budget.limitUsd - budget.spentUsd) } }),
  };
  const run = new RunState(batch.runId, { spec, input: context.input, startedAt: new Date() });
  run.v2 = true;
  const outputs = await runItems(run, step, items.length, batch.lanes, (index) => ({
    ...context,
    item: items[index],
    index: offset + index,
  }));
  const stored = await blobActivities(`${step.id} · store outputs`).storeOutputs({ values: outputs });
  return { outputs: stored, costUsd: run.costUsd };
}
