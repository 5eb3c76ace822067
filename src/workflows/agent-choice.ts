import { ActivityCancellationType, proxyActivities, workflowInfo } from '@temporalio/workflow';
import { patchedRun } from './history-patches';
import type { AgentChoiceActivities } from '../activities/agent-choice-activities';
import { AutoAgent } from '../agents/agent-definition';
import type { RunState } from '../engine/run-state';
import type { AgentStep, Step } from '../engine/spec';
import { agentsQueue } from '../engine/task-queues';
import { runIdOf } from './run-id';

/**
 * `agent: auto` steps ask the chooseAgent activity first. Only such steps reach the patch check, so
 * the histories of every other step are untouched; a run recorded before it that had an `auto` step
 * (one started without registry validation, whose runAgent failed on the unknown agent) replays so.
 */
export const agentAutoPatch = 'agent-auto';

/**
 * The planner may answer `agent: auto` with `needs`: its step then chooses among the plan's agents.
 * Asked only when a plan answer has such a step (see plansAuto), so plans of named agents, and every
 * history recorded before it, run as before: there `needs` is not read and `auto` is an agent name.
 */
export const plannedAutoPatch = 'planned-auto';

const chooser = () =>
  proxyActivities<AgentChoiceActivities>({
    taskQueue: agentsQueue(workflowInfo().taskQueue),
    startToCloseTimeout: '30 seconds',
    scheduleToCloseTimeout: '5 minutes',
    cancellationType: ActivityCancellationType.TRY_CANCEL,
    retry: { maximumAttempts: 5, initialInterval: '1 second' },
    summary: 'choose agent',
  });

/**
 * Whether a step asks for its agent to be chosen. Synchronous on purpose: every other step must reach
 * its activity in the same turn as before, or a replay would see its commands in another order.
 */
export function choosesAgent(step: Step): step is AgentStep & { needs: string[] } {
  return (
    step.kind === 'agent' &&
    step.agent === AutoAgent &&
    step.needs !== undefined &&
    patchedRun(agentAutoPatch)
  );
}

/**
 * The step as it runs: the agent the bandit chose, recorded on its state (agent, reason,
 * alternatives) before it starts. The choice is made in an activity, so it sits in history and a
 * replay reuses it.
 */
export async function withChosenAgent(
  run: RunState,
  step: AgentStep & { needs: string[] },
): Promise<AgentStep> {
  const choice = await chooser().chooseAgent({
    runId: runIdOf(),
    stepId: step.id,
    needs: step.needs,
    explore: step.explore ?? run.spec.explore ?? true,
    taskChars: step.with.task.length,
    ...(step.candidates && { candidates: step.candidates }),
  });
  run.recordChoice(step.id, choice);
  return { ...step, agent: choice.agent };
}
