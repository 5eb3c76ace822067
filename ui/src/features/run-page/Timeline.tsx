import type { RunSnapshot } from '../../api/types';
import { durationBetween, formatDuration } from '../../components/format';
import { useNow } from '../../components/use-now';

type Bar = { id: string; label: string; status: string; start: number; end: number; compensation: boolean };

/** A Gantt of when each step (and each compensation) started and ended, on the run's own clock. */
export function Timeline({ run, onSelect }: { run: RunSnapshot; onSelect?: (stepId: string) => void }) {
  const now = useNow();
  const runStart = Date.parse(run.startedAt);
  const bars: Bar[] = [
    ...run.steps
      .filter((step) => step.startedAt)
      .map((step) => ({
        id: step.id,
        label: step.id,
        status: step.status,
        start: Date.parse(step.startedAt ?? ''),
        end: step.endedAt ? Date.parse(step.endedAt) : now,
        compensation: false,
      })),
    ...run.compensations.map((record, index) => ({
      id: record.stepId,
      label: `↺ #${index + 1} undo ${record.stepId}`,
      status: record.status,
      start: Date.parse(record.startedAt),
      end: record.endedAt ? Date.parse(record.endedAt) : now,
      compensation: true,
    })),
  ].sort((a, b) => a.start - b.start);
  const runEnd = Math.max(
    run.endedAt ? Date.parse(run.endedAt) : now,
    ...bars.map((bar) => bar.end),
    runStart + 1,
  );
  const span = runEnd - runStart;
  if (bars.length === 0) return <p className="muted">No step has started yet.</p>;
  return (
    <section className="timeline" aria-label="Timeline">
      <h2>Timeline</h2>
      <p className="muted small">0 → {formatDuration(span)}</p>
      <ol className="gantt">
        {bars.map((bar) => {
          const left = ((bar.start - runStart) / span) * 100;
          const width = Math.max(0.8, ((bar.end - bar.start) / span) * 100);
          const words = `${bar.label}: ${bar.status}, from ${formatDuration(bar.start - runStart)} for ${formatDuration(durationBetween(new Date(bar.start).toISOString(), new Date(bar.end).toISOString()))}`;
          return (
            <li key={`${bar.label}-${bar.start}`} className="gantt-row" data-timeline-step={bar.id}>
              <button
                type="button"
                className="gantt-label small"
                onClick={() => onSelect?.(bar.id)}
                title={words}
              >
                {bar.label}
              </button>
              <span className="gantt-track">
                <span
                  className={`gantt-bar status-bg-${bar.status}${bar.compensation ? ' compensation' : ''}`}
                  style={{ left: `${left}%`, width: `${Math.min(width, 100 - left)}%` }}
                  role="img"
                  aria-label={words}
                />
              </span>
            </li>
          );
        })}
      </ol>
    </section>
  );
}
