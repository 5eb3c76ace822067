import type { Pricing } from './catalogue';

/**
 * Cost maths shared by the router (ordering by estimated cost) and the budget check (refusing a call
 * before it is made). Pure, so the workflow and the benchmark can use it too.
 */

/** Roughly four characters per token for English and code: an estimate, used only before the call. */
export const CHARS_PER_TOKEN = 4;

export function estimateTokens(text: string): number {
  return Math.ceil(text.length / CHARS_PER_TOKEN);
}

export type Usage = { inputTokens: number; outputTokens: number };

/** USD for a number of tokens at per-million prices. */
export function costUsd(pricing: Pricing, usage: Usage): number {
  return (usage.inputTokens * pricing.inputPerMillion + usage.outputTokens * pricing.outputPerMillion) / 1e6;
}

/** The most a call can cost: its estimated prompt plus every output token it may produce. */
export function estimateCallCostUsd(pricing: Pricing, inputTokens: number, maxOutputTokens: number): number {
  return costUsd(pricing, { inputTokens, outputTokens: maxOutputTokens });
}

/** What a run may spend (the workflow passes it) or what a day may (the catalogue sets it). */
export type Budget = { limitUsd: number; spentUsd: number };

export type BudgetVerdict =
  | { ok: true }
  | { ok: false; scope: 'run' | 'day'; message: string; wouldSpendUsd: number; limitUsd: number };

/**
 * Whether a call fits every budget, counting calls still in flight. The message says what would have
 * been spent against which limit, so the user knows which number to raise.
 */
export function checkBudgets(args: {
  estimateUsd: number;
  modelId: string;
  runId: string;
  run?: Budget | undefined;
  runInFlightUsd?: number;
  day?: (Budget & { date: string; source: string }) | undefined;
  dayInFlightUsd?: number;
}): BudgetVerdict {
  const { estimateUsd, modelId, runId, run, day } = args;
  if (estimateUsd === 0) return { ok: true };
  if (run) {
    const inFlight = args.runInFlightUsd ?? 0;
    const wouldSpendUsd = run.spentUsd + inFlight + estimateUsd;
    if (wouldSpendUsd > run.limitUsd) {
      return {
        ok: false,
        scope: 'run',
        wouldSpendUsd,
        limitUsd: run.limitUsd,
        message:
          `run ${runId} would spend ${usd(wouldSpendUsd)} (spent ${usd(run.spentUsd)}` +
          `${inFlight > 0 ? ` + ${usd(inFlight)} in flight` : ''} + up to ${usd(estimateUsd)} for this call to ${modelId})` +
          ` against its budget of ${usd(run.limitUsd)}; raise the run's budget or use a cheaper model`,
      };
    }
  }
  if (day) {
    const inFlight = args.dayInFlightUsd ?? 0;
    const wouldSpendUsd = day.spentUsd + inFlight + estimateUsd;
    if (wouldSpendUsd > day.limitUsd) {
      return {
        ok: false,
        scope: 'day',
        wouldSpendUsd,
        limitUsd: day.limitUsd,
        message: dayBudgetRefusal({ estimateUsd, modelId, runId, day, dayInFlightUsd: inFlight }),
      };
    }
  }
  return { ok: true };
}

/** Why the day budget refused a call: what would have been spent against which limit, and where it is set. */
export function dayBudgetRefusal(args: {
  estimateUsd: number;
  modelId: string;
  runId: string;
  day: Budget & { date: string; source: string };
  dayInFlightUsd: number;
}): string {
  const { estimateUsd, modelId, runId, day, dayInFlightUsd: inFlight } = args;
  const wouldSpendUsd = day.spentUsd + inFlight + estimateUsd;
  return (
    `model calls on ${day.date} (UTC) would spend ${usd(wouldSpendUsd)} (spent ${usd(day.spentUsd)}` +
    `${inFlight > 0 ? ` + ${usd(inFlight)} in flight` : ''} + up to ${usd(estimateUsd)} for this call to ${modelId} in run ${runId})` +
    ` against the daily budget of ${usd(day.limitUsd)} (budgets.dailyUsd in ${day.source})`
  );
}

/** Dollars with enough digits to tell fractions of a cent apart. */
export function usd(amount: number): string {
  if (amount === 0) return '$0';
  return amount >= 1
    ? `$${amount.toFixed(2)}`
    : `$${amount.toPrecision(3).replace(/0+$/, '').replace(/\.$/, '')}`;
}
