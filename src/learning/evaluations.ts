/**
 * What `GET /api/evaluations` shows, computed from outcome records: each run's score, grade, cost and
 * duration against the baseline of the runs of its spec before it, with the regressions; each agent's
 * baseline over its steps; and recommendations. Pure.
 */
import { baselineOf, regressionsOf, type Baseline, type Regression, type Sample } from './baselines';
import { gradeFor, type Grade } from './evaluator';
import type { OutcomeRecord } from './outcome-record';
import { recommend, type Recommendation } from './recommendations';

export type RunEvaluation = Sample & {
  runId: string;
  specName: string;
  grade: Grade;
  success: boolean;
  steps: number;
  endedAt: string;
  baseline?: Baseline;
  regressions: Regression[];
};

export type Evaluations = {
  runs: RunEvaluation[];
  specs: Array<{ specName: string; runs: number; baseline?: Baseline; regressions: number }>;
  agents: Array<{ agent: string; steps: number; successRate: number; baseline?: Baseline }>;
  recommendations: Recommendation[];
};

/** A run's sample: mean step score, summed cost, and its span from first start to last end. */
function runSample(records: readonly OutcomeRecord[]): Sample & { success: boolean; endedAt: string } {
  const score = records.reduce((s, r) => s + r.score, 0) / records.length;
  const costUsd = records.reduce((s, r) => s + r.costUsd, 0);
  const start = Math.min(...records.map((r) => Date.parse(r.endedAt) - r.durationMs));
  const end = Math.max(...records.map((r) => Date.parse(r.endedAt)));
  const endedAt = new Date(end).toISOString();
  return {
    score: Math.round(score * 10) / 10,
    costUsd,
    durationMs: end - start,
    success: records.every((r) => r.success),
    endedAt,
  };
}

export function evaluations(records: readonly OutcomeRecord[]): Evaluations {
  const byRun = new Map<string, OutcomeRecord[]>();
  for (const r of records) byRun.set(r.runId, [...(byRun.get(r.runId) ?? []), r]);
  const runs = [...byRun].map(([runId, steps]) => ({
    runId,
    specName: steps[0]!.specName,
    steps,
    ...runSample(steps),
  }));
  runs.sort((a, b) => a.endedAt.localeCompare(b.endedAt) || a.runId.localeCompare(b.runId));

  const earlierBySpec = new Map<string, Sample[]>();
  const evaluated: RunEvaluation[] = runs.map((run) => {
    const earlier = earlierBySpec.get(run.specName) ?? [];
    const baseline = baselineOf(earlier);
    const sample = { score: run.score, costUsd: run.costUsd, durationMs: run.durationMs };
    earlierBySpec.set(run.specName, [...earlier, sample]);
    return {
      runId: run.runId,
      specName: run.specName,
      ...sample,
      grade: gradeFor(run.score),
      success: run.success,
      steps: run.steps.length,
      endedAt: run.endedAt,
      ...(baseline && { baseline }),
      regressions: baseline ? regressionsOf(sample, baseline) : [],
    };
  });

  const specs = [...earlierBySpec].map(([specName, samples]) => {
    const baseline = baselineOf(samples);
    return {
      specName,
      runs: samples.length,
      ...(baseline && { baseline }),
      regressions: evaluated.filter((r) => r.specName === specName && r.regressions.length > 0).length,
    };
  });

  const byAgent = new Map<string, OutcomeRecord[]>();
  for (const r of records) if (r.agent) byAgent.set(r.agent, [...(byAgent.get(r.agent) ?? []), r]);
  const agents = [...byAgent].map(([agent, steps]) => {
    const baseline = baselineOf(
      steps.map((s) => ({ score: s.score, costUsd: s.costUsd, durationMs: s.durationMs })),
    );
    return {
      agent,
      steps: steps.length,
      successRate: steps.filter((s) => s.success).length / steps.length,
      ...(baseline && { baseline }),
    };
  });

  const recommendations = recommend(
    records.map((r) => ({
      agent: r.agent,
      model: r.model,
      success: r.success,
      costUsd: r.costUsd,
      inputTokens: r.inputTokens,
    })),
  );
  return { runs: evaluated.reverse(), specs, agents, recommendations };
}
