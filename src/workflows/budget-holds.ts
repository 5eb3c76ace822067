import { condition } from '@temporalio/workflow';
import { patchedRun } from './history-patches';
import type { RunState } from '../engine/run-state';

/**
 * Runs started before this patch check each call against the spend settled so far; new runs hold a
 * call's estimate before it starts and settle it after, and count a child run's spend as their own.
 */
export const budgetHoldsPatch = 'budget-holds';

/** The budget one call is checked against: the run's limit, and what is spent or held by others. */
export type BudgetView = { limitUsd: number; spentUsd: number };

/** A call's hold on the budget: what it is checked against, and how to settle it with its real cost. */
export type BudgetHold = { budget: BudgetView; settle: (costUsd: number) => void };

/** Whether this run holds budget for its calls: it has a budget and started under the patch. */
export function holdsBudget(run: RunState): boolean {
  return run.spec.budget !== undefined && patchedRun(budgetHoldsPatch);
}

/**
 * Holds `estimateUsd` of the run's budget for one call, first waiting while the calls in flight hold
 * too much for it to fit (it goes alone when nothing else is in flight, so one call may always try).
 * Settling ends the hold and adds the real cost at once, so a waiting call never sees a gap between
 * the two. Settling twice counts once.
 */
export async function holdBudget(run: RunState, estimateUsd: number): Promise<BudgetHold> {
  // Another call may take its hold between the condition holding and this code resuming: check
  // again, and take the hold in the same synchronous step as the check.
  while (!run.holdFits(estimateUsd)) await condition(() => run.holdFits(estimateUsd));
  return held(run, estimateUsd);
}

/**
 * Holds what is left of the budget, for a child run to spend as its own budget: waits until some of
 * it is free of other holds (or nothing else holds any).
 */
export async function holdRest(run: RunState): Promise<BudgetHold> {
  const free = () => run.freeUsd() > 0 || run.heldUsd() === 0;
  while (!free()) await condition(free);
  return held(run, Math.max(0, run.freeUsd()));
}

function held(run: RunState, usd: number): BudgetHold {
  const key = run.hold(usd);
  let settled = false;
  return {
    budget: { limitUsd: run.spec.budget?.usd ?? Infinity, spentUsd: run.costUsd + run.heldUsd(key) },
    settle: (costUsd) => {
      if (settled) return;
      settled = true;
      run.settleHold(key, costUsd);
    },
  };
}
