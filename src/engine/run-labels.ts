import type { Spec, Step } from './spec';

/**
 * How a run and its steps read in Temporal Web and in search: a summary on every activity and child
 * workflow (`generate · code-generator` rather than a wall of `runAgent`), a summary and details on the
 * run, and the agents and tools it uses for the TroupeAgents search attribute.
 */

/** The agent ids and tool names a spec uses, children included: `?agent=debugger` finds runs using it. */
export function agentsUsed(spec: Spec): string[] {
  const names = new Set<string>();
  const visit = (steps: Step[]) => {
    for (const step of steps) {
      if (step.compensate) names.add(step.compensate.tool);
      switch (step.kind) {
        case 'tool':
          names.add(step.tool);
          break;
        case 'agent':
          names.add(step.agent);
          for (const agent of step.collaborate?.agents ?? []) names.add(agent);
          if (step.collaborate && ['judge', 'debate'].includes(step.collaborate.mode))
            names.add(step.collaborate.judge ?? 'reviewer');
          break;
        case 'plan':
          names.add(step.with.agent);
          for (const agent of step.with.agents ?? []) names.add(agent);
          break;
        case 'subworkflow':
          visit(step.with.spec.steps);
          break;
        default:
          break;
      }
    }
  };
  visit(spec.steps);
  return [...names].sort();
}

/** What a step's activities and child workflows are called in Temporal Web: its id and who does it. */
export function stepSummary(step: Step, what = doer(step)): string {
  return `${step.id} · ${what}`;
}

function doer(step: Step): string {
  switch (step.kind) {
    case 'tool':
      return step.tool;
    case 'agent':
      return step.agent;
    case 'plan':
      return step.with.agent;
    case 'subworkflow':
      return step.with.spec.name;
    default:
      return step.kind;
  }
}

/** A run's one-line summary: its goal (the spec's description) or, without one, the spec's name. */
export function runSummary(spec: Spec): string {
  const goal = spec.description?.split('\n')[0]?.trim();
  return (goal || spec.name).slice(0, 200);
}

/** A run's details in Temporal Web (markdown): goal, spec, what it uses, and the way back to Troupe. */
export function runDetails(spec: Spec, link?: string): string {
  const agents = agentsUsed(spec);
  return [
    ...(spec.description ? [`**Goal:** ${spec.description}`] : []),
    `**Spec:** ${spec.name} (${spec.steps.length} step${spec.steps.length === 1 ? '' : 's'})`,
    ...(agents.length > 0 ? [`**Uses:** ${agents.join(', ')}`] : []),
    ...(link ? [`**Troupe:** [${link}](${link})`] : []),
  ].join('\n\n');
}
