import { proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { AgentActivities } from '../../activities/agent-activities';
import type { AgentStepInput, AgentStepResult } from '../../agents/agent-step-input';
import type { ExpressionContext } from '../../engine/expressions';
import type { ModelUse } from '../../engine/run-snapshot';
import type { RunState } from '../../engine/run-state';
import type { AgentStep } from '../../engine/spec';
import { agentsQueue } from '../../engine/task-queues';
import { holdsBudget } from '../budget-holds';
import { runIdOf } from '../run-id';
import { resolveArgs } from '../stored-templates';
import { stepActivityOptions } from './activity-options';
import type { StepResult } from './step-result';

/** Agent activities run in the agents pool. */
export function agentActivities(
  options: Pick<AgentStep, 'timeout' | 'retry'>,
  summary: string,
): AgentActivities {
  return proxyActivities<AgentActivities>(
    stepActivityOptions(
      agentsQueue(workflowInfo().taskQueue),
      options,
      { timeout: '30 minutes', heartbeat: '30 seconds' },
      summary,
    ),
  );
}

/**
 * An agent step's `with`, its templates resolved: at once when nothing needs an activity, so the
 * step's first activity is scheduled in the same turn as before (a replay compares command order).
 */
export function agentArgs(
  step: AgentStep,
  context: ExpressionContext,
): AgentStep['with'] | Promise<AgentStep['with']> {
  return resolveArgs(step.with, context, step.id) as AgentStep['with'] | Promise<AgentStep['with']>;
}

/** What the agent activity takes for a step: its task and context, the shared context beside them. */
export function agentInput(
  step: AgentStep,
  args: AgentStep['with'],
  context: ExpressionContext,
): AgentStepInput {
  const shared = context.context ?? {};
  return {
    runId: runIdOf(),
    stepId: step.id,
    agent: step.agent,
    ...(context.index !== undefined && { index: context.index }),
    ...args,
    // The agent sees the shared context as of the version its step started from.
    ...(Object.keys(shared).length > 0 && { context: { ...args.context, sharedContext: shared } }),
  };
}

export async function runAgentStep(
  run: RunState,
  step: AgentStep,
  context: ExpressionContext,
): Promise<StepResult> {
  const resolved = agentArgs(step, context);
  const args = resolved instanceof Promise ? await resolved : resolved;
  const result = await runAgentTask(run, step, agentInput(step, args, context));
  return { output: result, model: agentModelUse(result) };
}

/** What the step records of an agent's model use: its tokens, cost, iterations and tool calls. */
export function agentModelUse(result: AgentStepResult, reason?: string): ModelUse {
  const tools = result.toolCalls.length;
  const refused = result.toolCalls.filter((call) => !call.ok).length;
  return {
    modelId: result.modelId,
    provider: '',
    inputTokens: result.usage.inputTokens,
    outputTokens: result.usage.outputTokens,
    costUsd: result.costUsd,
    reason:
      reason ??
      `agent ${result.agent}: ${result.iterations} iteration(s), ${tools} tool call(s), ${refused} refused`,
    attempts: [],
  };
}

/**
 * Runs one agent on one task to its end: its cost counts into the run, and each question it asks
 * another agent is answered by running that agent, after which it resumes.
 */
export async function runAgentTask(
  run: RunState,
  step: AgentStep,
  input: AgentStepInput,
): Promise<Omit<AgentStepResult, 'pending' | 'resume'>> {
  // An agent's calls happen inside its activity: it is checked against what is spent and what the
  // calls in flight hold, but holds nothing itself.
  const others = () => (holdsBudget(run) ? run.heldUsd() : 0);
  const budget = () => run.spec.budget && { limitUsd: run.spec.budget.usd, spentUsd: run.costUsd + others() };
  const call = async (request: AgentStepInput) => {
    const spend = budget();
    const result = await agentActivities(step, `${request.stepId} · ${request.agent}`).runAgent({
      ...request,
      ...(spend && { budget: spend }),
    });
    // A resumed loop reports its whole cost, the part before the pause included.
    run.addCost(result.costUsd - (request.resume?.progress.costUsd ?? 0));
    return result;
  };
  let result = await call(input);
  // An agent that asks another pauses; the workflow runs the other agent as a child step, then resumes it.
  for (let asked = 1; result.pending && result.resume; asked++) {
    const { pending, resume } = result;
    const answer = await call({
      runId: input.runId,
      stepId: `${input.stepId}_ask${asked}`,
      agent: pending.agent,
      task: pending.question,
      context: { askedBy: input.agent },
    });
    const content = JSON.stringify(answer.output);
    run.recordMessage({
      stepId: step.id,
      from: input.agent,
      to: pending.agent,
      question: pending.question,
      answer: content,
      at: new Date().toISOString(),
    });
    result = await call({
      ...input,
      resume: { progress: resume, answer: { agent: pending.agent, content, toolCallId: pending.toolCallId } },
    });
  }
  const { resume: _resume, pending: _pending, ...output } = result;
  return output;
}

/** Undoes an agent step the way its agent says: most restore the workspace snapshot taken before it. */
export async function compensateAgentStep(step: AgentStep, output: unknown): Promise<void> {
  const snapshotRef = (output as Partial<AgentStepResult> | undefined)?.snapshotRef;
  await agentActivities({}, `${step.id} · undo · ${step.agent}`).compensateAgent({
    runId: runIdOf(),
    stepId: step.id,
    agent: step.agent,
    ...(snapshotRef && { snapshotRef }),
    ...(step.with.repo && { repo: step.with.repo }),
  });
}
