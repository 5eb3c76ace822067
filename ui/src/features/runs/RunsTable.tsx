import { useVirtualizer } from '@tanstack/react-virtual';
import { memo, useEffect, useMemo, useRef } from 'react';
import { Link } from 'react-router';
import type { RunSummary } from '../../api/types';
import { durationBetween, formatDuration, formatTime, formatUsd } from '../../components/format';
import { StatusBadge } from '../../components/StatusBadge';
import { useNow } from '../../components/use-now';

const ROW_HEIGHT = 44;

type Props = {
  runs: RunSummary[];
  total?: number;
  selected: ReadonlySet<string>;
  onToggle: (runId: string) => void;
  onToggleAll: (all: boolean) => void;
  /** Called when the end of the loaded rows comes into view: load the next page. */
  onEndReached?: () => void;
  temporalUrl?: (runId: string) => string | undefined;
};

type RowProps = {
  run: RunSummary;
  index: number;
  start: number;
  selected: boolean;
  onToggle: (runId: string) => void;
  link: string | undefined;
  /** The clock, for a run still going; undefined once it closed, so a closed row never re-renders on a tick. */
  now: number | undefined;
};

/** One run's row; memoised, so a scroll or a live event re-renders only the rows that changed or came into view. */
const RunRow = memo(function RunRow({ run, index, start, selected, onToggle, link, now }: RowProps) {
  return (
    <div
      className="runs-row runs-body-row"
      role="row"
      aria-rowindex={index + 2}
      data-run-id={run.runId}
      data-run-status={run.status}
      style={{ transform: `translateY(${start}px)`, height: ROW_HEIGHT }}
    >
      <span role="cell">
        <input
          type="checkbox"
          aria-label={`Select ${run.runId}`}
          disabled={run.temporalStatus !== 'RUNNING'}
          checked={selected}
          onChange={() => onToggle(run.runId)}
        />
      </span>
      <span role="cell" className="run-name">
        <Link to={`/runs/${encodeURIComponent(run.runId)}`}>{run.runId}</Link>
        {run.title && <span className="muted small">{run.title}</span>}
      </span>
      <span role="cell">
        <StatusBadge status={run.status} />
      </span>
      <span role="cell" className="small">
        {run.agents.join(', ')}
      </span>
      <span role="cell" className="small">
        {formatTime(run.startedAt)}
      </span>
      <span role="cell">{formatDuration(durationBetween(run.startedAt, run.closedAt, now))}</span>
      <span role="cell">{formatUsd(run.costUsd)}</span>
      <span role="cell">
        {link && (
          <a href={link} target="_blank" rel="noreferrer" aria-label={`${run.runId} in Temporal Web`}>
            history ↗
          </a>
        )}
      </span>
    </div>
  );
});

/** The runs as a virtual table: only the rows on screen are in the DOM, so 10,000 scroll smoothly. */
export function RunsTable({ runs, selected, onToggle, onToggleAll, onEndReached, temporalUrl }: Props) {
  const scroller = useRef<HTMLDivElement>(null);
  const now = useNow();
  const virtual = useVirtualizer({
    count: runs.length,
    getScrollElement: () => scroller.current,
    estimateSize: () => ROW_HEIGHT,
    overscan: 10,
  });
  const items = virtual.getVirtualItems();
  const last = items.at(-1)?.index ?? 0;
  useEffect(() => {
    if (runs.length > 0 && last >= runs.length - 20) onEndReached?.();
  }, [last, runs.length, onEndReached]);
  const allSelected = useMemo(() => {
    const selectable = runs.filter((run) => run.temporalStatus === 'RUNNING');
    return selectable.length > 0 && selectable.every((run) => selected.has(run.runId));
  }, [runs, selected]);

  return (
    <div className="runs-table" role="table" aria-label="Runs" aria-rowcount={runs.length + 1}>
      <div className="runs-row runs-head" role="row" aria-rowindex={1}>
        <span role="columnheader">
          <input
            type="checkbox"
            aria-label="Select every running run"
            checked={allSelected}
            onChange={(event) => onToggleAll(event.target.checked)}
          />
        </span>
        <span role="columnheader">Run</span>
        <span role="columnheader">Status</span>
        <span role="columnheader">Agents</span>
        <span role="columnheader">Started</span>
        <span role="columnheader">Duration</span>
        <span role="columnheader">Cost</span>
        <span role="columnheader">Temporal</span>
      </div>
      <div ref={scroller} className="runs-scroll" data-testid="runs-scroll" role="rowgroup">
        <div style={{ height: virtual.getTotalSize(), position: 'relative' }}>
          {items.map((item) => {
            const run = runs[item.index];
            if (!run) return null;
            return (
              <RunRow
                key={run.runId}
                run={run}
                index={item.index}
                start={item.start}
                selected={selected.has(run.runId)}
                onToggle={onToggle}
                link={temporalUrl?.(run.runId)}
                now={run.closedAt ? undefined : now}
              />
            );
          })}
        </div>
      </div>
    </div>
  );
}
