import { Link } from 'react-router';
import type { ChatEntryView } from '../../api/chat-types';
import { useRun } from '../../api/queries';
import { useRunLive } from '../../api/socket';
import { StatusBadge } from '../../components/StatusBadge';
import { Markdown } from './Markdown';

/** A run the chat started: its steps' progress while it runs, then its outcome, with a link to its graph. */
export function RunCard({ entry }: { entry: ChatEntryView }) {
  const run = entry.run;
  if (!run) return null;
  const running = entry.status === 'running';
  return (
    <article
      className="chat-bubble chat-run"
      aria-label={`Run ${run.runId}`}
      data-entry-id={entry.id}
      data-role="run"
      data-status={entry.status}
      data-run-id={run.runId}
      data-run-status={run.status}
    >
      <h3>
        Run <code>{run.runId}</code> <StatusBadge status={running ? 'running' : run.status} />
      </h3>
      {running && <RunProgress runId={run.runId} />}
      {entry.text && <Markdown text={entry.text} />}
      {run.error && (
        <p className="chat-error small" role="alert">
          {run.error}
        </p>
      )}
      <p>
        <Link to={`/runs/${encodeURIComponent(run.runId)}`}>Open the run's graph</Link>
      </p>
    </article>
  );
}

/** Each step's status, live from the run's own socket room. */
function RunProgress({ runId }: { runId: string }) {
  useRunLive(runId);
  const { data } = useRun(runId);
  if (!data) return <p className="muted small">starting…</p>;
  const done = data.steps.filter((step) => step.status === 'completed').length;
  return (
    <div data-testid="run-progress">
      <p className="small">
        {done} of {data.steps.length} steps done
      </p>
      <ol className="chat-run-steps small">
        {data.steps.map((step) => (
          <li key={step.id} data-step-id={step.id} data-step-status={step.status}>
            <code>{step.id}</code> <StatusBadge status={step.status} />
          </li>
        ))}
      </ol>
    </div>
  );
}
