import { defineQuery } from '@temporalio/workflow';
import type { RunSnapshot } from '../engine/run-snapshot';

/** The full state of a run, for the API, the CLI and Temporal Web's query tab. */
export const runStateQuery = defineQuery<RunSnapshot>('runState');
