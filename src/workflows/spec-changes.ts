import { ApplicationFailure } from '@temporalio/workflow';
import type { RunState } from '../engine/run-state';
import type { Spec } from '../engine/spec';
import { describeIssues, mergeSteps, parseSpec } from '../engine/spec-validation';

/** The run's spec with the given steps added or replaced, or a failure naming every problem. */
export function mergedSpec(run: RunState, steps: unknown[]): Spec {
  const merged = mergeSteps(run.spec, steps, (id) => run.stepStatus(id) === 'pending');
  if (!merged.ok) {
    throw ApplicationFailure.create({
      type: 'InvalidSteps',
      message: describeIssues(merged.issues),
      details: [merged.issues],
      nonRetryable: true,
    });
  }
  const parsed = parseSpec(merged.spec);
  if (!parsed.ok) {
    throw ApplicationFailure.create({
      type: 'InvalidSteps',
      message: describeIssues(parsed.issues),
      details: [parsed.issues],
      nonRetryable: true,
    });
  }
  return parsed.spec;
}
