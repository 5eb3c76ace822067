import { ApplicationFailure } from '@temporalio/workflow';
import type { RunState } from '../engine/run-state';
import type { Spec } from '../engine/spec';
import { describeIssues, mergeSteps, parseSpec, type SpecIssue } from '../engine/spec-validation';

/** The run's spec with the given steps added or replaced, or a failure naming every problem. */
export function mergedSpec(run: RunState, steps: unknown[]): Spec {
  const merged = mergeSteps(run.spec, steps, (id) => run.stepStatus(id) === 'pending');
  if (!merged.ok) throw invalidSteps(merged.issues);
  const parsed = parseSpec(merged.spec);
  if (!parsed.ok) throw invalidSteps(parsed.issues);
  return parsed.spec;
}

function invalidSteps(issues: SpecIssue[]): ApplicationFailure {
  return ApplicationFailure.create({
    type: 'InvalidSteps',
    message: describeIssues(issues),
    details: [issues],
    nonRetryable: true,
  });
}
