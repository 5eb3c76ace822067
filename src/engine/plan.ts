import { z } from 'zod';
import { lazySchema } from './lazy-schema';
import { AutoAgent, CapabilityTag } from '../agents/agent-definition';
import { literalText } from './template';
import { StepKind, type AgentStep, type PlanStep, type Spec, type Step } from './spec';

const plannedStep = lazySchema(() =>
  z.object({
    id: z.string().min(1),
    agent: z.string().min(1),
    task: z.string().min(1),
    dependsOn: z.array(z.string()).default([]),
  }),
);

/** A plan as read before `planned-auto`: `needs` is not read, and `auto` is an agent like any other. */
const NamedPlan = lazySchema(() =>
  z.object({
    steps: z.array(plannedStep).min(1, 'a plan needs at least one step'),
  }),
);

/**
 * What the planner answers (config/agents/planner.yaml's output): steps, each for one agent, or for
 * `agent: auto` with the capabilities it `needs`, which Troupe then chooses among the plan's agents.
 */
export const Plan = lazySchema(() =>
  z.object({
    steps: z
      .array(
        plannedStep.extend({
          needs: z.array(CapabilityTag).min(1, 'needs lists at least one capability').max(10).optional(),
        }),
      )
      .min(1, 'a plan needs at least one step'),
  }),
);
export type Plan = z.infer<typeof Plan>;

export type PlannedSteps = { ok: true; steps: AgentStep[] } | { ok: false; problems: string[] };

/** A planner's id as a step id: `<planStep>_<id>`, with anything but letters, digits and _ as _. */
export const plannedStepId = (planStepId: string, id: string) =>
  `${planStepId}_${id.replace(/[^A-Za-z0-9_]/g, '_')}`;

/**
 * Whether a planner's answer asks for a capability (a step with `agent: auto` or `needs`): only then
 * does the workflow ask for the `planned-auto` patch, so plans of named agents record no marker.
 */
export function plansAuto(answer: unknown): boolean {
  const steps = (answer as { steps?: unknown } | null)?.steps;
  return (
    Array.isArray(steps) &&
    steps.some(
      (step: unknown) =>
        typeof step === 'object' &&
        step !== null &&
        ((step as { agent?: unknown }).agent === AutoAgent ||
          (step as { needs?: unknown }).needs !== undefined),
    )
  );
}

export type PlannedStepsOptions = {
  /** Read `agent: auto` with `needs` (the `planned-auto` patch); without it, the plan reads as before. */
  auto?: boolean;
};

/**
 * Turns the planner's answer into agent steps that run after the plan step, or names every problem:
 * a malformed answer, too many steps, an agent the plan may not use, a duplicate or unknown step id.
 * With `auto`, a step may ask for `agent: auto` with `needs`: it chooses among the plan step's
 * `agents` only (its `candidates`), so a plan step without `agents` refuses it; a planner cannot reach
 * through auto an agent it may not name. Cycles are found when the steps join the run's spec, as for
 * any added step.
 */
export function plannedSteps(
  step: PlanStep,
  answer: unknown,
  { auto = false }: PlannedStepsOptions = {},
): PlannedSteps {
  const parsed = (auto ? Plan : NamedPlan).safeParse(answer);
  if (!parsed.success) {
    return {
      ok: false,
      problems: parsed.error.issues.map((issue) => `${issue.path.join('.') || '(answer)'}: ${issue.message}`),
    };
  }
  const steps: Plan['steps'] = parsed.data.steps;
  const { agents, maxSteps, repo } = step.with;
  const problems: string[] = [];
  if (steps.length > maxSteps) problems.push(`${steps.length} steps; the plan may have at most ${maxSteps}`);
  const ids = new Map<string, string>();
  for (const planned of steps) {
    const id = plannedStepId(step.id, planned.id);
    if (ids.has(id)) problems.push(`steps "${ids.get(id)}" and "${planned.id}" both become step "${id}"`);
    ids.set(id, planned.id);
    if (auto) problems.push(...autoProblems(planned, agents));
    if (agents && !agents.includes(planned.agent) && !(auto && planned.agent === AutoAgent)) {
      problems.push(
        `step "${planned.id}" names agent "${planned.agent}"; the plan may use ${agents.join(', ')}`,
      );
    }
    for (const dependency of planned.dependsOn) {
      if (!steps.some((other) => other.id === dependency))
        problems.push(`step "${planned.id}" depends on "${dependency}", which the plan does not have`);
    }
  }
  if (problems.length > 0) return { ok: false, problems };
  return {
    ok: true,
    steps: steps.map((planned) => {
      const id = plannedStepId(step.id, planned.id);
      const chosen = auto && planned.agent === AutoAgent && planned.needs && agents;
      return {
        id,
        kind: StepKind.Agent,
        agent: planned.agent,
        ...(chosen && { needs: planned.needs, candidates: agents }),
        description: planned.task,
        dependsOn: [step.id, ...planned.dependsOn.map((dependency) => plannedStepId(step.id, dependency))],
        // The task is the planner's text: it must not be read as templates when the step runs.
        with: { task: literalText(planned.task), ...(repo && { repo }) },
        // What each step did reaches the steps after it (and a summary) through the shared context.
        publish: { [id]: `\${{ steps.${id}.output.output }}` },
      };
    }),
  };
}

/** What is wrong with a planned step's `agent: auto` or `needs`, as a spec's step would be told. */
function autoProblems(planned: Plan['steps'][number], agents: string[] | undefined): string[] {
  if (planned.agent !== AutoAgent)
    return planned.needs
      ? [
          `step "${planned.id}" names agent "${planned.agent}" and needs; needs applies only to agent: ${AutoAgent}`,
        ]
      : [];
  if (!planned.needs)
    return [`step "${planned.id}" asks for agent: ${AutoAgent} without needs (for example needs: [tests])`];
  if (!agents)
    return [
      `step "${planned.id}" asks for agent: ${AutoAgent}, but the plan step lists no agents to choose among (with.agents); name the agent instead`,
    ];
  return [];
}

export const GoalRequest = lazySchema(() =>
  z.strictObject({
    goal: z.string().trim().min(1, 'goal must say what the run should achieve').max(2000),
    /** The repository the agents work in: a worktree of it, or a fresh repo without it. */
    repo: z.string().min(1).optional(),
    budget: z.strictObject({ usd: z.number().nonnegative() }).optional(),
  }),
);
export type GoalRequest = z.infer<typeof GoalRequest>;

/** Agents a goal's plan may not use: a deploy goes in a spec, behind its tests and an approval. */
const notForGoals = new Set(['deploy']);

/**
 * The spec of a run started from a goal: a plan step, which adds the planned steps when it ends, and,
 * when the registry has a summarizer, a summary of what they did as the run's output. The plan may use
 * every agent of the registry but the planner, the summarizer and deploy.
 */
export function goalSpec(
  { goal, repo, budget }: GoalRequest,
  agents: Iterable<string>,
  { planner = 'planner', summarizer = 'summarizer' } = {},
) {
  const registry = new Set(agents);
  const specialists = [...registry]
    .filter((agent) => agent !== planner && agent !== summarizer && !notForGoals.has(agent))
    .sort();
  const summarize = registry.has(summarizer) && {
    id: 'summarize',
    kind: StepKind.Agent,
    agent: summarizer,
    dependsOn: ['plan'],
    with: { task: literalText(`Sum up what the team did for this goal: ${goal}`) },
  };
  return {
    name: 'goal',
    description: goal,
    ...(budget && { budget }),
    ...(summarize && { output: '${{ steps.summarize.output.output }}' }),
    steps: [
      {
        id: 'plan',
        kind: StepKind.Plan,
        with: {
          goal: literalText(goal),
          agent: planner,
          ...(specialists.length > 0 && { agents: specialists }),
          ...(repo && { repo }),
        },
      },
      ...(summarize ? [summarize] : []),
    ],
  };
}

/**
 * The steps a plan adds, plus the steps that waited for the plan step, now waiting for the plan's
 * last steps too: a spec's `summarize` after `plan` runs once the planned work is done.
 */
export function withPlanJoined(spec: Spec, planStepId: string, planned: AgentStep[]): Step[] {
  const fed = new Set(planned.flatMap((step) => step.dependsOn));
  const last = planned.map((step) => step.id).filter((id) => !fed.has(id));
  const waiting = spec.steps
    .filter((step) => step.dependsOn.includes(planStepId))
    .map((step) => ({ ...step, dependsOn: [...step.dependsOn, ...last] }));
  return [...planned, ...waiting];
}
