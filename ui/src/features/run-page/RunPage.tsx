import { lazy, Suspense, useCallback, useMemo, useState } from 'react';
import { useParams, useSearchParams } from 'react-router';
import { useRun, useRunForecast, useRunSpec, useRunTokens } from '../../api/queries';
import { useRunLive } from '../../api/socket';
import { Elapsed } from '../../components/Elapsed';
import { formatTime, formatUsd } from '../../components/format';
import { ProblemAlert } from '../../components/ProblemAlert';
import { StatusBadge } from '../../components/StatusBadge';
import { RunControls } from './RunControls';
import { RunForecastFacts } from './RunForecast';
import { StepPanel } from './StepPanel';
import { Timeline } from './Timeline';

const RunGraph = lazy(() => import('../run-graph/RunGraph').then((module) => ({ default: module.RunGraph })));

const endedStatuses = new Set(['completed', 'skipped', 'failed', 'cancelled']);

/** One run, live: its graph, a timeline, the selected step's details, and the controls. */
export default function RunPage() {
  const { runId = '' } = useParams();
  useRunLive(runId);
  const run = useRun(runId);
  const spec = useRunSpec(runId);
  const tokens = useRunTokens(runId);
  const closed = ['completed', 'failed', 'cancelled'].includes(run.data?.status ?? '');
  const endedSteps = run.data?.steps.filter((step) => endedStatuses.has(step.status)).length ?? 0;
  const forecast = useRunForecast(runId, !closed, endedSteps);
  const [search, setSearch] = useSearchParams();
  const selected = search.get('step') ?? undefined;
  const select = useCallback(
    (stepId: string | undefined) => {
      const next = new URLSearchParams(search);
      if (stepId) next.set('step', stepId);
      else next.delete('step');
      setSearch(next, { replace: true });
    },
    [search, setSearch],
  );
  const onSelect = useCallback((stepId: string) => select(stepId), [select]);
  const [initialIds] = useState(() => new Map<string, ReadonlySet<string>>());
  const steps = spec.data?.spec.steps;
  const firstIds = useMemo(() => {
    if (!steps) return undefined;
    if (!initialIds.has(runId)) initialIds.set(runId, new Set(steps.map((step) => step.id)));
    return initialIds.get(runId);
  }, [initialIds, runId, steps]);
  const data = run.data;
  const selectedStep = data?.steps.find((step) => step.id === selected);
  const declared = steps?.find((step) => step.id === selected);

  return (
    <section className="page run-page" data-run-id={runId} data-run-status={data?.status}>
      <div className="page-head">
        <div>
          <h1>
            {data?.name ?? runId} <span className="muted small">{runId}</span>
          </h1>
          {data && (
            <p className="run-facts">
              <StatusBadge status={data.status} />
              <span>started {formatTime(data.startedAt)}</span>
              <span>
                <Elapsed start={data.startedAt} end={data.endedAt} />
              </span>
              <span>cost {formatUsd(data.costUsd)}</span>
              {spec.data && (
                <a href={spec.data.temporalUrl} target="_blank" rel="noreferrer">
                  Temporal Web ↗
                </a>
              )}
            </p>
          )}
        </div>
        {data && <RunControls run={data} />}
      </div>
      <RunForecastFacts forecast={forecast.data?.prediction} onSelectStep={onSelect} />
      <ProblemAlert error={run.error} title="The run could not be read" />
      <ProblemAlert error={spec.error} title="The run's spec could not be read" />
      {data?.error && (
        <p className="problem" role="status">
          <strong>The run {data.status}:</strong> {data.error}
        </p>
      )}
      <div className={`run-layout${selected ? ' with-panel' : ''}`}>
        <div className="run-main">
          {steps && (
            <Suspense fallback={<p role="status">Drawing the graph…</p>}>
              <RunGraph
                runId={runId}
                steps={steps}
                initialIds={firstIds}
                run={data}
                selected={selected}
                onSelect={onSelect}
              />
            </Suspense>
          )}
          {data && <Timeline run={data} onSelect={onSelect} />}
          {data?.output !== undefined && (
            <section aria-label="Run output">
              <h2>Output</h2>
              <pre className="code">
                {typeof data.output === 'string' ? data.output : JSON.stringify(data.output, null, 2)}
              </pre>
            </section>
          )}
        </div>
        {selected && (
          <StepPanel
            stepId={selected}
            step={selectedStep}
            declared={declared}
            run={data}
            tokens={tokens[selected]}
            temporalUrl={spec.data?.temporalUrl}
            runInput={spec.data?.input}
            onClose={() => select(undefined)}
          />
        )}
      </div>
    </section>
  );
}
