/**
 * Per-agent and per-model performance from outcome records: success rate, mean score, p50/p95
 * duration, cost per success, the share of steps on local models, and the same per day for trends.
 * Pure: the API passes the records, the days and which models are local.
 */
import type { OutcomeRecord } from './outcome-record';

/** What the views read of an outcome record. */
export type PerformanceEvidence = Pick<
  OutcomeRecord,
  'agent' | 'model' | 'success' | 'score' | 'costUsd' | 'durationMs' | 'endedAt'
>;

export type PerformanceDay = {
  day: string;
  steps: number;
  successes: number;
  /** Absent on a day without steps, so a chart leaves a gap instead of drawing a zero. */
  successRate?: number;
  meanScore?: number;
  p95Ms?: number;
  costUsd: number;
};

export type PerformanceRow = {
  /** The agent or model id. */
  id: string;
  steps: number;
  successes: number;
  successRate: number;
  /** The evaluator's mean score, 0–100. */
  meanScore: number;
  p50Ms: number;
  p95Ms: number;
  costUsd: number;
  /** Total cost ÷ successful steps; absent when nothing succeeded (the cost bought nothing yet). */
  costPerSuccess?: number;
  /** Steps that named a model, and of those the ones on a local model. */
  modelSteps: number;
  localSteps: number;
  /** localSteps ÷ modelSteps; absent when no step named a model (tool steps). */
  localShare?: number;
  byDay: PerformanceDay[];
};

/** The value below which `q` of the sorted values fall (nearest rank); 0 for none. */
export function percentile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] ?? 0;
}

const ratio = (part: number, whole: number) => (whole > 0 ? part / whole : undefined);

function summarise(records: readonly PerformanceEvidence[], isLocal: (model: string) => boolean) {
  const durations = records.map((r) => r.durationMs).sort((a, b) => a - b);
  const successes = records.filter((r) => r.success).length;
  const costUsd = records.reduce((sum, r) => sum + r.costUsd, 0);
  const withModel = records.filter((r) => r.model !== undefined);
  const localSteps = withModel.filter((r) => isLocal(r.model as string)).length;
  const costPerSuccess = ratio(costUsd, successes);
  const localShare = ratio(localSteps, withModel.length);
  return {
    steps: records.length,
    successes,
    successRate: ratio(successes, records.length) ?? 0,
    meanScore: ratio(
      records.reduce((sum, r) => sum + r.score, 0),
      records.length,
    ),
    p50Ms: percentile(durations, 0.5),
    p95Ms: percentile(durations, 0.95),
    costUsd,
    ...(costPerSuccess !== undefined && { costPerSuccess }),
    modelSteps: withModel.length,
    localSteps,
    ...(localShare !== undefined && { localShare }),
  };
}

/**
 * One row per key (agent or model) over the records that ended on one of `days` (UTC `YYYY-MM-DD`,
 * oldest first), most steps first; a record without a key (a tool step has no agent or model) is
 * left out. Each row's `byDay` has every day of the range, so trends line up across rows.
 */
export function performanceBy(
  records: readonly PerformanceEvidence[],
  keyOf: (record: PerformanceEvidence) => string | undefined,
  { days, isLocal }: { days: readonly string[]; isLocal: (model: string) => boolean },
): PerformanceRow[] {
  const inRange = new Set(days);
  const groups = new Map<string, PerformanceEvidence[]>();
  for (const record of records) {
    const key = keyOf(record);
    if (key === undefined || !inRange.has(record.endedAt.slice(0, 10))) continue;
    groups.set(key, [...(groups.get(key) ?? []), record]);
  }
  return [...groups]
    .map(([id, group]): PerformanceRow => {
      const { meanScore, ...summary } = summarise(group, isLocal);
      return {
        id,
        ...summary,
        meanScore: meanScore ?? 0,
        byDay: days.map((day) => {
          const ofDay = group.filter((r) => r.endedAt.startsWith(day));
          if (ofDay.length === 0) return { day, steps: 0, successes: 0, costUsd: 0 };
          const s = summarise(ofDay, isLocal);
          return {
            day,
            steps: s.steps,
            successes: s.successes,
            successRate: s.successRate,
            ...(s.meanScore !== undefined && { meanScore: s.meanScore }),
            p95Ms: s.p95Ms,
            costUsd: s.costUsd,
          };
        }),
      };
    })
    .sort((a, b) => b.steps - a.steps || a.id.localeCompare(b.id));
}

/** Per agent: the steps an agent ran (agent steps and `agent: auto` steps). */
export const byAgent = (
  records: readonly PerformanceEvidence[],
  options: { days: readonly string[]; isLocal: (model: string) => boolean },
) => performanceBy(records, (r) => r.agent, options);

/** Per model: the steps whose model call a model served (model steps and agents' steps). */
export const byModel = (
  records: readonly PerformanceEvidence[],
  options: { days: readonly string[]; isLocal: (model: string) => boolean },
) => performanceBy(records, (r) => r.model, options);
