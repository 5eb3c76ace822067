import { defineQuery, defineUpdate } from '@temporalio/workflow';
import type { CarriedState } from '../engine/run-state';
import type { Compensable, RunSnapshot } from '../engine/run-snapshot';
import type { RunInput, Spec } from '../engine/spec';

/**
 * What runWorkflow takes: a spec and its input; after continue-as-new, the state carried over; for a
 * child run its parent undoes, the completed steps to compensate (undo mode: nothing else runs); and
 * the history layout the run writes (history-patches.ts), absent on runs started before layouts.
 */
export type RunWorkflowInput = {
  spec: Spec;
  input: RunInput;
  carried?: CarriedState;
  undo?: Compensable[];
  layout?: number;
};

/**
 * The history layout a new run is started with, carried in its input (`RunWorkflowInput.layout`), so
 * choosing it costs no event, where a patch writes a marker and a TemporalChangeVersion upsert into
 * every run that asks it. Layout 2 is
 * - lean-history taken as given, without asking it;
 * - no TroupeStatus write when the run ends: Temporal's close status says how it ended, and the API
 *   reads that for a closed run (src/api/run-list.ts).
 * A run started without a layout (before layouts, or by a caller that sets none, such as a chat
 * session's run) asks lean-history as before, and replays as it was recorded.
 */
export const runLayout = 2;

/** The full state of a run, for the API, the CLI and Temporal Web's query tab. */
export const runStateQuery = defineQuery<RunSnapshot>('runState');

/** The spec as the run now holds it (added and planned steps included): the UI draws its graph from it. */
export const runSpecQuery = defineQuery<Spec>('runSpec');

/** No new step starts while paused; steps already running finish. */
export const pauseUpdate = defineUpdate<RunSnapshot>('pause');
export const resumeUpdate = defineUpdate<RunSnapshot>('resume');

export type DecisionRequest = { stepId: string; approved: boolean; comment?: string };
/** Approves or rejects an approval step that is waiting. */
export const decideUpdate = defineUpdate<RunSnapshot, [DecisionRequest]>('decide');

export type AddStepsRequest = { steps: unknown[] };
/** Adds steps, or replaces steps that have not started; the resulting spec is validated like a new one. */
export const addStepsUpdate = defineUpdate<RunSnapshot, [AddStepsRequest]>('addSteps');
