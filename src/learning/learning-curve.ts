/**
 * The learning curve of `agent: auto`: the share of recorded choices that were optimal, over time.
 *
 * "Optimal" is judged in hindsight, from every record: in a choice's context, each candidate agent
 * (the choice's alternatives that were not excluded) gets a hindsight value, the posterior mean
 * reward from all outcome records of that agent in that context, with an uninformative prior (success
 * and quality 0.5, worth 4 records) and no forgetting: reward = success mean × quality mean − 5 × mean
 * USD, as the bandit scores arms. A choice was optimal when its agent's hindsight value is the highest
 * of its candidates (ties count). Pure.
 */
import { DefaultBanditOptions, ThompsonBandit } from './bandit';
import { contextOf, type OutcomeRecord } from './outcome-record';

export const OptimalDefinition =
  'a choice is optimal when its agent has the highest hindsight value among its candidates: the posterior mean reward (success × quality − 5 × USD) from all records of that agent in the same context, prior 0.5 worth 4 records, no forgetting';

/** What the curve reads of an outcome record. */
export type CurveEvidence = Pick<
  OutcomeRecord,
  'runId' | 'stepId' | 'agent' | 'success' | 'score' | 'costUsd' | 'endedAt'
> & {
  features: Pick<OutcomeRecord['features'], 'stepKind' | 'capabilities' | 'inputTokens'>;
  choice?:
    Pick<NonNullable<OutcomeRecord['choice']>, 'agent' | 'context' | 'explored' | 'alternatives'> | undefined;
};

export type HindsightEstimate = { agent: string; value: number; records: number };

export type LearningCurve = {
  definition: string;
  choices: number;
  optimal: number;
  share?: number;
  /** Per UTC day of the range: that day's share and the share of all choices up to its end. */
  byDay: Array<{ day: string; choices: number; optimal: number; share?: number; cumulativeShare?: number }>;
  /** Consecutive blocks of `window` choices in the order they were made, the last maybe shorter. */
  windows: Array<{ first: number; last: number; choices: number; optimal: number; share: number }>;
  /** Per context: the hindsight best and every candidate's value. */
  contexts: Array<{
    context: string;
    choices: number;
    optimal: number;
    best: string;
    estimates: HindsightEstimate[];
  }>;
};

const contextOfRecord = (r: CurveEvidence) => r.choice?.context ?? contextOf(r.features);
const round = (x: number) => Number(x.toFixed(4));

/** Hindsight values of `agents` in one context, from every record of theirs there. */
function hindsight(
  context: string,
  agents: readonly string[],
  records: readonly CurveEvidence[],
): HindsightEstimate[] {
  const bandit = new ThompsonBandit({}, { discount: 1, explore: false });
  const cost = new Map<string, { sum: number; n: number }>();
  for (const r of records) {
    if (r.agent === undefined || contextOfRecord(r) !== context) continue;
    bandit.update(context, { agent: r.agent, model: 'any' }, { success: r.success, quality: r.score / 100 });
    const c = cost.get(r.agent) ?? { sum: 0, n: 0 };
    cost.set(r.agent, { sum: c.sum + r.costUsd, n: c.n + 1 });
  }
  return agents.map((agent) => {
    const c = cost.get(agent);
    const costUsd = c ? c.sum / c.n : 0;
    const e = bandit.estimate(context, {
      agent,
      model: 'any',
      local: false,
      costUsd,
      priorSuccess: 0.5,
      priorQuality: 0.5,
    });
    return {
      agent,
      value: round(e.successMean * e.qualityMean - DefaultBanditOptions.costWeight * costUsd),
      records: c?.n ?? 0,
    };
  });
}

/**
 * The curve over the choices that ended on one of `days` (UTC, oldest first); the hindsight values
 * come from all `records`, in the range or not.
 */
export function learningCurve(
  records: readonly CurveEvidence[],
  { days, window = 10 }: { days: readonly string[]; window?: number },
): LearningCurve {
  const inRange = new Set(days);
  const choices = records
    .filter((r) => r.choice !== undefined && inRange.has(r.endedAt.slice(0, 10)))
    .sort(
      (a, b) =>
        a.endedAt.localeCompare(b.endedAt) ||
        a.runId.localeCompare(b.runId) ||
        a.stepId.localeCompare(b.stepId),
    );

  const candidatesBy = new Map<string, Set<string>>();
  for (const r of choices) {
    const set = candidatesBy.get(contextOfRecord(r)) ?? new Set<string>();
    set.add(r.choice!.agent);
    for (const alternative of r.choice!.alternatives) set.add(alternative.agent);
    candidatesBy.set(contextOfRecord(r), set);
  }
  const values = new Map<string, Map<string, HindsightEstimate>>();
  for (const [context, agents] of candidatesBy) {
    const estimates = hindsight(context, [...agents].sort(), records);
    values.set(context, new Map(estimates.map((e) => [e.agent, e])));
  }

  const judged = choices.map((r) => {
    const choice = r.choice!;
    const ofContext = values.get(contextOfRecord(r))!;
    // Alternatives carry no `excluded` in the agent choice: every listed agent was a candidate.
    const candidates = new Set([choice.agent, ...choice.alternatives.map((a) => a.agent)]);
    const best = Math.max(
      ...[...candidates].map((agent) => ofContext.get(agent)?.value ?? Number.NEGATIVE_INFINITY),
    );
    const optimal = (ofContext.get(choice.agent)?.value ?? Number.NEGATIVE_INFINITY) >= best - 1e-9;
    return { day: r.endedAt.slice(0, 10), context: contextOfRecord(r), optimal };
  });

  const optimal = judged.filter((j) => j.optimal).length;
  let runningChoices = 0;
  let runningOptimal = 0;
  const byDay = days.map((day) => {
    const ofDay = judged.filter((j) => j.day === day);
    const dayOptimal = ofDay.filter((j) => j.optimal).length;
    runningChoices += ofDay.length;
    runningOptimal += dayOptimal;
    return {
      day,
      choices: ofDay.length,
      optimal: dayOptimal,
      ...(ofDay.length > 0 && { share: dayOptimal / ofDay.length }),
      ...(runningChoices > 0 && { cumulativeShare: runningOptimal / runningChoices }),
    };
  });

  const size = Math.max(1, Math.floor(window));
  const windows: LearningCurve['windows'] = [];
  for (let first = 0; first < judged.length; first += size) {
    const block = judged.slice(first, first + size);
    const blockOptimal = block.filter((j) => j.optimal).length;
    windows.push({
      first: first + 1,
      last: first + block.length,
      choices: block.length,
      optimal: blockOptimal,
      share: blockOptimal / block.length,
    });
  }

  const contexts = [...values].map(([context, estimates]) => {
    const ofContext = judged.filter((j) => j.context === context);
    const sorted = [...estimates.values()].sort(
      (a, b) => b.value - a.value || a.agent.localeCompare(b.agent),
    );
    return {
      context,
      choices: ofContext.length,
      optimal: ofContext.filter((j) => j.optimal).length,
      best: sorted[0]?.agent ?? '',
      estimates: sorted,
    };
  });

  return {
    definition: OptimalDefinition,
    choices: judged.length,
    optimal,
    ...(judged.length > 0 && { share: optimal / judged.length }),
    byDay,
    windows,
    contexts: contexts.sort((a, b) => a.context.localeCompare(b.context)),
  };
}
