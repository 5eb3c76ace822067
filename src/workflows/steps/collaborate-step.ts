import {
  ActivityCancellationType,
  ApplicationFailure,
  isCancellation,
  proxyActivities,
  workflowInfo,
} from '@temporalio/workflow';
import { patchedRun } from '../history-patches';
import type { ChatActivities } from '../../activities/chat-activities';
import type { AgentStepResult } from '../../agents/agent-step-input';
import {
  CollaborationMode,
  TaskSubject,
  decisionSchema,
  normalizeOutput,
  parseDecision,
  scoreAnswer,
  settleTeam,
  type Decision,
  type Settlement,
  type TeamAnswer,
} from '../../engine/collaboration';
import type { ExpressionContext } from '../../engine/expressions';
import type { CollaborationAnswer, CollaborationRecord, ModelUse } from '../../engine/run-snapshot';
import type { RunState } from '../../engine/run-state';
import { DEFAULT_DEBATE_ROUNDS, type AgentStep, type Collaborate, type Step } from '../../engine/spec';
import { agentsQueue } from '../../engine/task-queues';
import { holdsBudget } from '../budget-holds';
import { runIdOf } from '../run-id';
import { agentArgs, agentInput, runAgentTask } from './agent-step';
import type { StepResult } from './step-result';

/**
 * Agent steps with `collaborate` run their team. Only such steps reach the patch check, so every
 * other step's history is untouched; no run before it could have a collaborate step (the spec
 * refused the field).
 */
export const collaboratePatch = 'collaborate';

type Answered = Omit<AgentStepResult, 'pending' | 'resume'>;
type CollaborateStep = AgentStep & { collaborate: Collaborate };

/** Whether a step runs as a team. Synchronous, like choosesAgent: other steps keep their command order. */
export function collaborates(step: Step): step is CollaborateStep {
  return step.kind === 'agent' && step.collaborate !== undefined && patchedRun(collaboratePatch);
}

const judgeActivities = (step: AgentStep, summary: string) =>
  proxyActivities<Pick<ChatActivities, 'chatDecide'>>({
    taskQueue: agentsQueue(workflowInfo().taskQueue),
    summary,
    startToCloseTimeout: step.timeout ?? '10 minutes',
    heartbeatTimeout: '30 seconds',
    cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
    retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumAttempts: step.retry?.attempts ?? 3 },
  });

/**
 * Runs a collaborate step: every listed agent on the same task as parallel agent activities, then the
 * shared resolver settles their answers (collaboration.ts, the chat's team mode's too). The step's
 * record keeps every answer with its cost, whether they disagreed, the winner and why; its output is
 * the winner's result, as a one-agent step's would be, with `collaboration` beside it.
 */
export async function runCollaborateStep(
  run: RunState,
  step: CollaborateStep,
  context: ExpressionContext,
): Promise<StepResult> {
  const resolved = agentArgs(step, context);
  const args = resolved instanceof Promise ? await resolved : resolved;
  const { mode, agents } = step.collaborate;
  const judge = step.collaborate.judge ?? 'reviewer';
  const rounds = step.collaborate.rounds ?? DEFAULT_DEBATE_ROUNDS;
  const record: CollaborationRecord = {
    mode,
    agents,
    answers: [],
    ...((mode === CollaborationMode.Judge || mode === CollaborationMode.Debate) && { judge }),
    costUsd: 0,
  };
  const keep = (answer: CollaborationAnswer) => {
    record.answers.push(answer);
    // In the team's order, round by round, whatever order the activities finished in.
    record.answers.sort((a, b) => a.round - b.round || agents.indexOf(a.agent) - agents.indexOf(b.agent));
    record.costUsd += answer.costUsd;
    run.recordCollaboration(step.id, { ...record, answers: [...record.answers] });
  };
  const ask = async (agent: string, round: number, note?: string): Promise<TeamAnswer<Answered>> => {
    const base = agentInput({ ...step, agent }, args, context);
    try {
      const result = await runAgentTask(run, step, {
        ...base,
        stepId: round === 0 ? `${step.id}.${agent}` : `${step.id}.${agent}.round${round}`,
        ...(note && { task: `${args.task}\n\n${note}` }),
      });
      const answer: TeamAnswer<Answered> = {
        agent,
        key: normalizeOutput(result.output),
        text: JSON.stringify(result.output, null, 2),
        value: result,
      };
      keep({
        agent,
        round,
        ok: true,
        output: result.output,
        modelId: result.modelId,
        inputTokens: result.usage.inputTokens,
        outputTokens: result.usage.outputTokens,
        costUsd: result.costUsd,
        ...(mode === CollaborationMode.BestOf && { score: scoreAnswer(result).score }),
      });
      return answer;
    } catch (err) {
      if (!isCancellation(err))
        keep({ agent, round, ok: false, error: messageOf(err), inputTokens: 0, outputTokens: 0, costUsd: 0 });
      throw err;
    }
  };
  const settledFirst = await Promise.allSettled(agents.map((agent) => ask(agent, 0)));
  const cancelled = settledFirst.find(
    (result) => result.status === 'rejected' && isCancellation(result.reason),
  );
  if (cancelled?.status === 'rejected') throw cancelled.reason;
  const first = settledFirst.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : []));
  if (first.length === 0)
    throw ApplicationFailure.create({
      type: 'CollaborationFailed',
      message: `no agent of the team answered: ${record.answers.map((a) => `${a.agent}: ${a.error ?? 'failed'}`).join('; ')}`,
      nonRetryable: true,
      details: [{ keptOnFailure: true, output: { collaboration: record }, model: undefined }],
    });
  const decide = async (agent: string, task: string): Promise<Decision> => {
    const spend = run.spec.budget && {
      limitUsd: run.spec.budget.usd,
      spentUsd: run.costUsd + (holdsBudget(run) ? run.heldUsd() : 0),
    };
    const result = await judgeActivities(step, `${step.id} · judge · ${agent}`).chatDecide({
      sessionId: runIdOf(),
      messageId: `${step.id}.judge`,
      agent,
      task,
      schema: decisionSchema,
      ...(spend && { budget: spend }),
    });
    run.addCost(result.costUsd);
    const decision = parseDecision(result.decision);
    record.verdict = { judge: agent, ...decision, modelId: result.modelId, costUsd: result.costUsd };
    record.costUsd += result.costUsd;
    run.recordCollaboration(step.id, { ...record });
    return decision;
  };
  const settlement = await settleTeam(
    first,
    { mode, rounds, judge, question: args.task, subject: TaskSubject, vote: 'answers' },
    {
      revise: (answer, round, note) => ask(answer.agent, round, note),
      decide,
      score: (answer) => scoreAnswer(answer.value).score,
    },
  );
  const final = settled(record, settlement);
  run.recordCollaboration(step.id, final);
  const winner = settlement.answers[settlement.winnerIndex]?.value ?? first[0]!.value;
  const snapshotRef = first.find((answer) => answer.value.snapshotRef)?.value.snapshotRef;
  const { snapshotRef: _own, ...rest } = winner;
  return {
    output: {
      ...rest,
      ...(snapshotRef && { snapshotRef }),
      collaboration: { mode, winner: final.winner, settled: final.settled, disagreed: final.disagreed },
    },
    model: teamModelUse(final, winner),
  };
}

/** The record with the settlement's outcome filled in. */
function settled<A>(record: CollaborationRecord, settlement: Settlement<A>): CollaborationRecord {
  return {
    ...record,
    answers: [...record.answers],
    disagreed: settlement.disagreed,
    winner: settlement.winner,
    settled: settlement.settled,
    ...(settlement.rounds !== undefined && { rounds: settlement.rounds }),
    ...(settlement.groups && { groups: settlement.groups }),
    ...(settlement.tie !== undefined && { tie: settlement.tie }),
  };
}

/** The step's model use: the team's tokens and cost summed, the winner's model, and how it was settled. */
function teamModelUse(record: CollaborationRecord, winner: Answered): ModelUse {
  const sum = (pick: (answer: CollaborationAnswer) => number) =>
    record.answers.reduce((total, answer) => total + pick(answer), 0);
  const asked = record.answers.length;
  return {
    modelId: winner.modelId,
    provider: '',
    inputTokens: sum((answer) => answer.inputTokens),
    outputTokens: sum((answer) => answer.outputTokens),
    costUsd: record.costUsd,
    reason: `collaborate ${record.mode}: ${record.agents.length} agents, ${asked} answer(s)${record.verdict ? `, judged by ${record.verdict.judge}` : ''}; ${record.winner ?? '?'} won`,
    attempts: [],
  };
}

function messageOf(err: unknown): string {
  let current: unknown = err;
  while (current instanceof Error && current.cause instanceof Error) current = current.cause;
  return current instanceof Error ? current.message : String(current);
}
