import { isCancellation, proxyActivities, proxyLocalActivities } from '@temporalio/workflow';
import type { createOutcomeActivities } from '../activities/outcome-activities';
import type { StepOutcomeInput } from '../activities/outcome-activities';
import { StepStatus, type CollaborationRecord, type RunSnapshot } from '../engine/run-snapshot';
import type { OutcomeCollaboration } from '../learning/outcome-record';
import type { Spec } from '../engine/spec';

/** Runs started before this patch replay without the outcome activity; new runs record outcomes. */
export const outcomePatch = 'outcome-records';

type OutcomeActivities = ReturnType<typeof createOutcomeActivities>;
const outcomeOptions = {
  startToCloseTimeout: '30 seconds',
  scheduleToCloseTimeout: '2 minutes',
  retry: { maximumAttempts: 3, initialInterval: '1 second' },
  summary: 'record step outcomes',
} as const;
const { recordOutcomes: recordOutcomesActivity } = proxyActivities<OutcomeActivities>(outcomeOptions);
/**
 * Under lean-history the records are written by a local activity, on the orchestration worker that
 * runs the workflow (it registers recordOutcomes): one marker in the run's last workflow task, where
 * the activity took three events and a workflow task of its own.
 */
const { recordOutcomes: recordOutcomesLocally } = proxyLocalActivities<OutcomeActivities>(outcomeOptions);

/** The steps that ended (completed or failed), as the outcome activity takes them. Pure. */
export function endedSteps(snapshot: RunSnapshot, spec: Spec): StepOutcomeInput[] {
  const byId = new Map(spec.steps.map((step) => [step.id, step]));
  const out: StepOutcomeInput[] = [];
  for (const s of snapshot.steps) {
    if (s.status !== StepStatus.Completed && s.status !== StepStatus.Failed) continue;
    const step = byId.get(s.id);
    const task = step?.kind === 'agent' ? step.with.task : undefined;
    out.push({
      stepId: s.id,
      kind: s.kind,
      ...(step?.kind === 'agent' && { agent: s.collaboration?.winner ?? s.choice?.agent ?? step.agent }),
      ...(s.choice && { needs: s.choice.needs, choice: s.choice }),
      ...(s.collaboration && { collaboration: outcomeCollaboration(s.collaboration) }),
      ...(s.model && {
        model: s.model.modelId,
        inputTokens: s.model.inputTokens,
        outputTokens: s.model.outputTokens,
        costUsd: s.model.costUsd,
      }),
      ...(task !== undefined && { taskChars: task.length }),
      success: s.status === StepStatus.Completed,
      ...(s.error !== undefined && { error: s.error.slice(0, 200) }),
      attempts: s.attempts ?? 1,
      ...(s.startedAt && { startedAt: s.startedAt }),
      endedAt: s.endedAt ?? snapshot.endedAt ?? snapshot.startedAt,
      ...(outputExitCode(s.output) !== undefined && { exitCode: outputExitCode(s.output) }),
    });
  }
  return out;
}

/** What the outcome record keeps of a collaborate step: no answers' contents, their agents and costs. */
function outcomeCollaboration(c: CollaborationRecord): OutcomeCollaboration {
  return {
    mode: c.mode,
    answers: c.answers.map((answer) => ({
      agent: answer.agent,
      round: answer.round,
      ok: answer.ok,
      ...(answer.modelId && { model: answer.modelId }),
      costUsd: answer.costUsd,
      ...(answer.score !== undefined && { score: answer.score }),
    })),
    ...(c.disagreed !== undefined && { disagreed: c.disagreed }),
    ...(c.winner && { winner: c.winner }),
    ...(c.settled && { settled: c.settled.slice(0, 2000) }),
    ...(c.verdict && { judge: c.verdict.judge, judgeCostUsd: c.verdict.costUsd }),
  };
}

function outputExitCode(output: unknown): number | undefined {
  if (output && typeof output === 'object' && 'exitCode' in output) {
    const code = output.exitCode;
    return typeof code === 'number' ? code : undefined;
  }
  return undefined;
}

/**
 * Writes one outcome record per ended step, in one activity at the end of the run. Recording is a
 * side record: if it fails after its retries the run still ends as it would have.
 */
export async function recordOutcomes(
  snapshot: RunSnapshot,
  spec: Spec,
  { local = false }: { local?: boolean } = {},
): Promise<void> {
  const steps = endedSteps(snapshot, spec);
  if (steps.length === 0) return;
  const record = local ? recordOutcomesLocally : recordOutcomesActivity;
  try {
    await record({ runId: snapshot.runId, specName: spec.name, steps });
  } catch (err) {
    if (isCancellation(err)) throw err;
  }
}
