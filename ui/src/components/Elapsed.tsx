import { durationBetween, formatDuration } from './format';
import { useNow } from './use-now';

function Ticking({ start }: { start: string }) {
  const now = useNow();
  return <>{formatDuration(durationBetween(start, undefined, now))}</>;
}

/** A duration; while something still runs (no end yet), it ticks every second on its own. */
export function Elapsed({ start, end }: { start?: string | undefined; end?: string | undefined }) {
  if (start && !end) return <Ticking start={start} />;
  return <>{formatDuration(durationBetween(start, end))}</>;
}
