/**
 * Recommendations from the records, each stated with the numbers behind it, for example
 * "debugger on gpt-4o-mini fails 40% of the time on tasks over 4k tokens (8 of 20); qwen2.5-coder:7b
 * succeeds 85% at $0 (17 of 20)". Pure.
 */

export type RecommendationInput = {
  agent?: string | undefined;
  model?: string | undefined;
  success: boolean;
  costUsd: number;
  inputTokens: number;
};

export type Recommendation = {
  agent: string;
  sizeBucket: 'over 4k tokens' | 'up to 4k tokens';
  worse: { model: string; failureRate: number; failures: number; total: number };
  better: { model: string; successRate: number; successes: number; total: number; costPerTaskUsd: number };
  message: string;
};

type Group = { successes: number; total: number; cost: number };

/** Pairs where an agent's model fails at least `minFailureRate` and another model does markedly better. */
export function recommend(
  records: readonly RecommendationInput[],
  opts: { minRecords?: number; minFailureRate?: number } = {},
): Recommendation[] {
  const minRecords = opts.minRecords ?? 5;
  const minFailureRate = opts.minFailureRate ?? 0.25;
  const groups = new Map<string, Map<string, Group>>();
  for (const r of records) {
    if (!r.agent || !r.model) continue;
    const bucket = r.inputTokens > 4000 ? 'over 4k tokens' : 'up to 4k tokens';
    const key = `${r.agent}\u0000${bucket}`;
    let models = groups.get(key);
    if (!models) groups.set(key, (models = new Map<string, Group>()));
    const g = models.get(r.model) ?? { successes: 0, total: 0, cost: 0 };
    g.total += 1;
    g.cost += r.costUsd;
    if (r.success) g.successes += 1;
    models.set(r.model, g);
  }
  const out: Recommendation[] = [];
  const pct = (x: number) => `${Math.round(x * 100)}%`;
  for (const [key, models] of [...groups].sort(([a], [b]) => a.localeCompare(b))) {
    const [agent, bucket] = key.split('\u0000') as [string, Recommendation['sizeBucket']];
    const enough = [...models].filter(([, g]) => g.total >= minRecords);
    const ranked = enough.sort(
      ([am, a], [bm, b]) => b.successes / b.total - a.successes / a.total || am.localeCompare(bm),
    );
    const best = ranked[0];
    if (!best) continue;
    for (const [model, g] of ranked.slice(1)) {
      const failureRate = 1 - g.successes / g.total;
      const bestRate = best[1].successes / best[1].total;
      if (failureRate < minFailureRate || bestRate - (1 - failureRate) < 0.15) continue;
      const cost = best[1].cost / best[1].total;
      out.push({
        agent,
        sizeBucket: bucket,
        worse: { model, failureRate, failures: g.total - g.successes, total: g.total },
        better: {
          model: best[0],
          successRate: bestRate,
          successes: best[1].successes,
          total: best[1].total,
          costPerTaskUsd: cost,
        },
        message: `${agent} on ${model} fails ${pct(failureRate)} of the time on tasks ${bucket} (${g.total - g.successes} of ${g.total}); ${best[0]} succeeds ${pct(bestRate)} at $${cost < 0.00005 ? '0' : cost.toFixed(4)} (${best[1].successes} of ${best[1].total})`,
      });
    }
  }
  return out;
}
