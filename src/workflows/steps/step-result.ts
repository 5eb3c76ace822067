import type { ModelUse } from '../../engine/run-snapshot';

/** What running a step (or one foreach item) answers: its output, and what its attempts and model were. */
export type StepResult = { output: unknown; attempts?: number; model?: ModelUse };
