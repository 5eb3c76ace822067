import { ApplicationFailure, executeChild } from '@temporalio/workflow';
import { patchedRun } from './history-patches';
import type { BlobRef } from '../engine/blob-ref';
import type { ExpressionContext } from '../engine/expressions';
import type { RunState } from '../engine/run-state';
import type { Step } from '../engine/spec';
import { FOREACH_BATCH_ITEMS } from '../engine/pending-limits';
import { batchOfMemo, runIdOf } from './run-id';
import { foreachItems, runStepOnce, type StepResult } from './step-runners';
import { blobActivities, boundedStatePatch, contextRead } from './stored-templates';

/** One batch of a big foreach: the step, its items from `offset` on, and what its templates read. */
export type ForeachBatchInput = {
  runId: string;
  step: Step;
  items: unknown[];
  offset: number;
  lanes: number;
  context: ExpressionContext;
  /** The run's budget and what the run had spent when the batch started. */
  budget?: { limitUsd: number; spentUsd: number };
};

/** The batch's outputs as one list reference, and what its items spent. */
export type ForeachBatchResult = { outputs: BlobRef; costUsd: number };

/** The largest list of outputs (as JSON) a foreach keeps inline; a larger one is one blob reference. */
const AGGREGATE_INLINE_BYTES = 16 * 1024;

/**
 * Runs a foreach step: each item is the step with `item` and `index` bound, `parallelism` at a time,
 * and the step's output is the list of the items' outputs, in order. Under `bounded-state` that list
 * is one blob reference when it is large, and a foreach of more than FOREACH_BATCH_ITEMS items runs
 * in batch workflows.
 */
export async function runForeach(run: RunState, step: Step): Promise<StepResult> {
  const items = foreachItems(step, run.expressionContext());
  const parallelism = step.foreach?.parallelism ?? 1;
  if (items.length > FOREACH_BATCH_ITEMS && step.kind !== 'approval' && patchedRun(boundedStatePatch))
    return runInBatches(run, step, items, parallelism);
  run.progress(step.id, { done: 0, total: items.length });
  const outputs = await runItems(run, step, items.length, parallelism, (index) =>
    run.expressionContext({ item: items[index], index }),
  );
  if (JSON.stringify(outputs).length <= AGGREGATE_INLINE_BYTES || !patchedRun(boundedStatePatch))
    return { output: outputs };
  return { output: await blobActivities(`${step.id} · store outputs`).storeOutputs({ values: outputs }) };
}

/**
 * Runs `count` items of a step, `lanes` at a time, and answers their outputs in order. Stops taking
 * items when the run stops or an item fails; the first failure is rethrown once the lanes settle.
 */
export async function runItems(
  run: RunState,
  step: Step,
  count: number,
  lanes: number,
  contextOf: (index: number) => ExpressionContext,
): Promise<unknown[]> {
  const outputs = new Array<unknown>(count);
  let next = 0;
  let done = 0;
  const lane = async () => {
    while (next < count && !run.stopping) {
      const index = next++;
      const result = await runStepOnce(run, step, contextOf(index));
      outputs[index] = result.output;
      run.progress(step.id, { done: ++done, total: count });
    }
  };
  await Promise.all(Array.from({ length: Math.min(lanes, count) }, lane));
  if (done < count)
    throw ApplicationFailure.create({ message: 'the run stopped before every item ran', nonRetryable: true });
  return outputs;
}

/**
 * Runs the items in batch workflows of FOREACH_BATCH_ITEMS each, with `parallelism` items in flight in
 * all, and joins the batches' lists into one blob reference. A batch gets the step and only the part
 * of the run's context its templates read, never the spec.
 */
async function runInBatches(
  run: RunState,
  step: Step,
  items: unknown[],
  parallelism: number,
): Promise<StepResult> {
  const count = Math.ceil(items.length / FOREACH_BATCH_ITEMS);
  const lanes = Math.min(parallelism, FOREACH_BATCH_ITEMS);
  const together = Math.max(1, Math.floor(parallelism / FOREACH_BATCH_ITEMS));
  const whole = run.expressionContext();
  // An agent item reads the shared context whether or not a template names it.
  const { foreach: _items, ...perItem } = step;
  const context = { ...contextRead(perItem, whole), ...(whole.context && { context: whole.context }) };
  const parts = new Array<BlobRef>(count);
  let next = 0;
  let done = 0;
  run.progress(step.id, { done, total: items.length });
  const lane = async () => {
    while (next < count && !run.stopping) {
      const batch = next++;
      const offset = batch * FOREACH_BATCH_ITEMS;
      const slice = items.slice(offset, offset + FOREACH_BATCH_ITEMS);
      const spent = run.costUsd;
      const input: ForeachBatchInput = {
        runId: runIdOf(),
        step,
        items: slice,
        offset,
        lanes,
        context,
        ...(run.spec.budget && { budget: { limitUsd: run.spec.budget.usd, spentUsd: spent } }),
      };
      const result = await executeChild<(input: ForeachBatchInput) => Promise<ForeachBatchResult>>(
        'foreachBatch',
        {
          workflowId: `${runIdOf()}.${step.id}.batch${batch}`,
          args: [input],
          memo: { [batchOfMemo]: runIdOf() },
          staticSummary: `${step.id} · items ${offset}–${offset + slice.length - 1}`,
        },
      );
      parts[batch] = result.outputs;
      run.addCost(result.costUsd);
      done += slice.length;
      run.progress(step.id, { done, total: items.length });
    }
  };
  await Promise.all(Array.from({ length: Math.min(together, count) }, lane));
  if (done < items.length)
    throw ApplicationFailure.create({ message: 'the run stopped before every item ran', nonRetryable: true });
  return { output: await blobActivities(`${step.id} · join outputs`).joinOutputs({ parts }) };
}
