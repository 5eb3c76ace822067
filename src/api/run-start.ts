import { randomUUID } from 'node:crypto';
import type { SearchAttributePair } from '@temporalio/common';
import type { Config } from '../config';
import { TroupeAgents, TroupeCost, TroupeGoal, TroupeStatus } from '../engine/search-attributes';
import type { RunInput, Spec } from '../engine/spec';

/**
 * What every run starts with, whether POST /api/runs or a schedule starts it, so runs from either are
 * listed, filtered and titled the same way.
 */
export function runStartOptions(config: Config, spec: Spec, input: RunInput) {
  const agents = [...new Set(spec.steps.map((step) => (step.kind === 'tool' ? step.tool : step.kind)))];
  const typedSearchAttributes: SearchAttributePair[] = [
    { key: TroupeStatus, value: 'running' },
    { key: TroupeAgents, value: agents },
    { key: TroupeCost, value: 0 },
    { key: TroupeGoal, value: spec.description ?? spec.name },
  ];
  return {
    workflowType: 'runWorkflow' as const,
    taskQueue: config.TROUPE_TASK_QUEUE,
    args: [{ spec, input }] as [{ spec: Spec; input: RunInput }],
    memo: { title: spec.description ?? spec.name },
    ...(spec.priority && { priority: { priorityKey: spec.priority } }),
    typedSearchAttributes,
  };
}

/** A run's id: its spec's name, so Temporal Web lists are readable, and 8 random hex digits. */
export function newRunId(spec: Spec): string {
  return `${spec.name.toLowerCase()}-${randomUUID().slice(0, 8)}`;
}
