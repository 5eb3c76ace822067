import { TEMPORAL_PENDING_LIMIT, type Spec } from './spec';

/**
 * A foreach over more items than this runs them in batch workflows of this many items each: one
 * history holds a bounded number of events (Temporal caps it at 50,000 and warns at 10,000), however
 * many items there are.
 */
export const FOREACH_BATCH_ITEMS = 500;

type SpecIssue = { path: (string | number)[]; message: string };

/**
 * Refuses a spec whose steps could keep more than Temporal's pending limit in flight at once: at most
 * maxParallel steps run together, a foreach step with up to `parallelism` items of its own. Past the
 * limit Temporal fails the workflow task, and the run would stall mid-way instead of failing here.
 */
export function checkPendingLimits(spec: Spec): SpecIssue[] {
  const widths = spec.steps
    .map((step, index) => ({ index, width: step.foreach?.parallelism ?? 1 }))
    .sort((a, b) => b.width - a.width)
    .slice(0, spec.maxParallel);
  const total = widths.reduce((sum, { width }) => sum + width, 0);
  if (total <= TEMPORAL_PENDING_LIMIT) return [];
  const widest = widths.filter(({ width }) => width > 1).map(({ index }) => `steps[${index}]`);
  return [
    {
      path: ['maxParallel'],
      message:
        `up to ${total} activities or child workflows could be pending at once (maxParallel ${spec.maxParallel}, ` +
        `with the foreach parallelism of ${widest.join(', ')}), but Temporal allows ${TEMPORAL_PENDING_LIMIT} ` +
        `pending activities and ${TEMPORAL_PENDING_LIMIT} pending child workflows per workflow ` +
        `(limit.numPendingActivities.error, limit.numPendingChildExecutions.error): lower maxParallel or parallelism`,
    },
  ];
}
