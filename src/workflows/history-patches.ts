import { patched } from '@temporalio/workflow';

/**
 * One patch for what used to be seven, and the changes that write fewer events per model call.
 * A run started under it writes this one marker (and its TemporalChangeVersion upsert) at its start,
 * where it used to write a marker and an upsert for each of scheduler-v2, bounded-state, budget-holds,
 * agent-auto, collaborate, model-route-local, model-call-schedule-to-start, skip-unanswered-pool and
 * outcome-records as it first met them; and, under it, the run
 * - writes TroupeCost only with a status change, before continuing as new, or when spend grew by a step
 *   (see costStepUsd in run-workflow.ts), so the attribute is exact whenever the status changes and at the end;
 * - reuses a model step's route plan for a later step with the same routing within a short window
 *   (model-step.ts), instead of planning again;
 * - records step outcomes in a local activity (outcome-recording.ts).
 * Runs started before it replay every patch they asked for as they asked for it.
 */
export const leanHistoryPatch = 'lean-history';

/** The patches a run under lean-history takes as given, without a marker of their own. */
export const foldedPatches = [
  'scheduler-v2',
  'bounded-state',
  'budget-holds',
  'agent-auto',
  'collaborate',
  'model-route-local',
  'model-call-schedule-to-start',
  'skip-unanswered-pool',
  'outcome-records',
] as const;
export type FoldedPatch = (typeof foldedPatches)[number];

/**
 * Whether this workflow runs under lean-history. Module state is per workflow execution (the SDK gives
 * each one its own module cache), so one run's answer never leaks into another's.
 */
let lean = false;

/** The layout of this run (0: none given; see runLayout in run-messages.ts). Per workflow execution, like `lean`. */
let layout = 0;

/**
 * Takes the run's layout and, without one, asks for lean-history once, at the workflow's start, and
 * remembers the answer for the whole run: a run already in flight when lean-history shipped replays its
 * first task without the marker, so stays off it. Only runWorkflow asks; other workflows (foreach
 * batches, chat) keep asking each patch on its own.
 */
export function startLeanHistory(runLayoutOfInput: number | undefined): boolean {
  layout = runLayoutOfInput ?? 0;
  lean = layout >= 2 || patched(leanHistoryPatch);
  return lean;
}

/** The layout this run was started with, for the runs it starts or continues as. */
export function layoutOfRun(): number | undefined {
  return layout > 0 ? layout : undefined;
}

/** Whether the run writes its final status to TroupeStatus (runs before layout 2 do). */
export function writesEndStatus(): boolean {
  return layout < 2;
}

/** Whether the run is under lean-history (asked at its start). */
export function isLean(): boolean {
  return lean;
}

/** patched(id) for the patches lean-history folds: true without a marker under it, else as before. */
export function patchedRun(patchId: FoldedPatch): boolean {
  return lean || patched(patchId);
}
