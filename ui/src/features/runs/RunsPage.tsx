import { useCallback, useMemo, useState } from 'react';
import { Link, useSearchParams } from 'react-router';
import { temporalRunUrl, useBatchCancel, useRuns, useUiConfig } from '../../api/queries';
import { EmptyState } from '../../components/EmptyState';
import { ProblemAlert } from '../../components/ProblemAlert';
import { filterFromSearch } from './run-filters';
import { RunFilters } from './RunFilters';
import { RunsTable } from './RunsTable';

/** Every run, newest first, filtered, live, and cancellable in bulk. */
export default function RunsPage() {
  const [search] = useSearchParams();
  const filter = useMemo(() => filterFromSearch(search), [search]);
  const runs = useRuns(filter);
  const config = useUiConfig();
  const cancel = useBatchCancel();
  const [selected, setSelected] = useState<Set<string>>(new Set());
  const rows = useMemo(() => runs.data?.pages.flatMap((page) => page.runs) ?? [], [runs.data]);
  const { hasNextPage, isFetchingNextPage, fetchNextPage } = runs;
  const onEndReached = useCallback(() => {
    if (hasNextPage && !isFetchingNextPage) void fetchNextPage();
  }, [hasNextPage, isFetchingNextPage, fetchNextPage]);
  const filtered = Object.keys(filter).length > 0;

  const toggle = useCallback(
    (runId: string) =>
      setSelected((current) => {
        const next = new Set(current);
        if (!next.delete(runId)) next.add(runId);
        return next;
      }),
    [],
  );
  const toggleAll = (all: boolean) =>
    setSelected(
      all
        ? new Set(rows.filter((run) => run.temporalStatus === 'RUNNING').map((run) => run.runId))
        : new Set(),
    );

  return (
    <section className="page runs-page">
      <div className="page-head">
        <h1>Runs</h1>
        <div className="actions">
          <button
            type="button"
            className="button danger"
            disabled={selected.size === 0 || cancel.isPending}
            onClick={() => cancel.mutate([...selected], { onSuccess: () => setSelected(new Set()) })}
          >
            Cancel {selected.size > 0 ? `${selected.size} selected` : 'selected'}
          </button>
          <Link className="button primary" to="/start">
            Start a run
          </Link>
        </div>
      </div>
      <RunFilters />
      {cancel.data && (
        <p role="status" className="notice">
          Cancelled {cancel.data.cancelled.length}
          {cancel.data.skipped.length > 0 &&
            `; skipped ${cancel.data.skipped.map((skip) => `${skip.runId} (${skip.reason})`).join(', ')}`}
          .
        </p>
      )}
      <ProblemAlert error={cancel.error} title="Cancelling failed" />
      <ProblemAlert error={runs.error} title="The runs could not be listed" />
      {runs.isSuccess && rows.length === 0 ? (
        filtered ? (
          <EmptyState title="No run matches these filters">
            <p>Clear a filter to see more runs.</p>
          </EmptyState>
        ) : (
          <EmptyState title="No runs yet">
            <p>
              Start <code>hello.yaml</code> first: on the <Link to="/start">Start</Link> page, or with{' '}
              <code>troupe run examples/hello.yaml --input {`'{"name":"world"}'`}</code>.
            </p>
          </EmptyState>
        )
      ) : (
        <RunsTable
          runs={rows}
          selected={selected}
          onToggle={toggle}
          onToggleAll={toggleAll}
          onEndReached={onEndReached}
          temporalUrl={(runId) => temporalRunUrl(config.data, runId)}
        />
      )}
      <p className="muted small" role="status" aria-live="polite">
        {runs.isPending
          ? 'Loading runs…'
          : `${rows.length} runs${hasNextPage ? ' loaded; scroll for more' : ''}`}
      </p>
    </section>
  );
}
