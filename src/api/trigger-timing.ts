import type { ScheduleDescription } from '@temporalio/client';

/** How far ahead a scheduled run can hold a second that a trigger would otherwise take. */
const LOOKAHEAD_MS = 3_000;
/** Into a free second before the trigger goes, so the schedule still takes it within that second. */
const MARGIN_MS = 20;

const secondOf = (ms: number) => Math.floor(ms / 1000);

/**
 * Temporal names each run of a schedule `<schedule id>-<its time, to the second>`, and a trigger's time is
 * when the schedule takes it. A trigger in the same second as a scheduled run gets that run's workflow id,
 * and Temporal drops it as already started: the API would answer 202 and no run would come. So a trigger
 * waits for a second that no recent, running or upcoming run holds. Returns how long, in ms (0: go now).
 */
export function triggerDelayMs(id: string, description: ScheduleDescription, now: number): number {
  const held = new Set<number>();
  const holdId = (workflowId: string) => {
    const at = Date.parse(workflowId.slice(id.length + 1));
    if (workflowId.startsWith(`${id}-`) && Number.isFinite(at)) held.add(secondOf(at));
  };
  for (const result of description.info.recentActions) holdId(result.action.workflow.workflowId);
  for (const action of description.info.runningActions) holdId(action.workflow.workflowId);
  if (!description.state.paused) {
    for (const time of description.info.nextActionTimes) {
      if (time.getTime() - now <= LOOKAHEAD_MS) held.add(secondOf(time.getTime()));
    }
  }
  let second = secondOf(now);
  while (held.has(second)) second += 1;
  return second === secondOf(now) ? 0 : second * 1000 + MARGIN_MS - now;
}
