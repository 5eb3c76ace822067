import { plannedSteps, type PlannedStepsOptions } from './plan';
import { StepKind, type PlanStep, type Spec } from './spec';
import { parseSpec } from './spec-validation';
import { literalText } from './template';

/** Agents a chat's plan may not give work to: they plan, sum up, or deploy (a deploy goes in a spec). */
const notForPlans = new Set(['planner', 'summarizer', 'deploy']);

export type ChatPlan = { ok: true; spec: Spec } | { ok: false; problems: string[] };

/**
 * Turns the planner's answer for a chat message into a spec the user can approve, edit or reject: the
 * planned agent steps (checked as a goal run checks them), then the summarizer's summary as the output.
 * With `auto`, a planned `agent: auto` step chooses among the specialists only, never deploy.
 */
export function chatPlanSpec(
  goal: string,
  answer: unknown,
  agents: Iterable<string>,
  options: PlannedStepsOptions = {},
): ChatPlan {
  const registry = new Set(agents);
  const specialists = [...registry].filter((agent) => !notForPlans.has(agent)).sort();
  const planStep: PlanStep = {
    id: 'plan',
    kind: StepKind.Plan,
    dependsOn: [],
    with: { goal, agent: 'planner', maxSteps: 8, ...(specialists.length > 0 && { agents: specialists }) },
  };
  const planned = plannedSteps(planStep, answer, options);
  if (!planned.ok) return planned;
  const steps = planned.steps.map((step) => ({
    ...step,
    dependsOn: step.dependsOn.filter((id) => id !== planStep.id),
  }));
  const fed = new Set(steps.flatMap((step) => step.dependsOn));
  const last = steps.map((step) => step.id).filter((id) => !fed.has(id));
  const summarize = registry.has('summarizer') && {
    id: 'summarize',
    kind: StepKind.Agent,
    agent: 'summarizer',
    dependsOn: last,
    with: { task: literalText(`Sum up what the team did for this goal: ${goal}`) },
  };
  const parsed = parseSpec(
    {
      name: 'chat-plan',
      description: goal.length > 200 ? `${goal.slice(0, 199)}…` : goal,
      ...(summarize && { output: '${{ steps.summarize.output.output }}' }),
      steps: [...steps, ...(summarize ? [summarize] : [])],
    },
    { agents: registry },
  );
  if (!parsed.ok)
    return { ok: false, problems: parsed.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`) };
  return { ok: true, spec: parsed.spec };
}
