import { defineQuery, defineUpdate } from '@temporalio/workflow';
import type { RunSnapshot } from '../engine/run-snapshot';

/** The full state of a run, for the API, the CLI and Temporal Web's query tab. */
export const runStateQuery = defineQuery<RunSnapshot>('runState');

/** No new step starts while paused; steps already running finish. */
export const pauseUpdate = defineUpdate<RunSnapshot>('pause');
export const resumeUpdate = defineUpdate<RunSnapshot>('resume');

export type DecisionRequest = { stepId: string; approved: boolean; comment?: string };
/** Approves or rejects an approval step that is waiting. */
export const decideUpdate = defineUpdate<RunSnapshot, [DecisionRequest]>('decide');

export type AddStepsRequest = { steps: unknown[] };
/** Adds steps, or replaces steps that have not started; the resulting spec is validated like a new one. */
export const addStepsUpdate = defineUpdate<RunSnapshot, [AddStepsRequest]>('addSteps');
