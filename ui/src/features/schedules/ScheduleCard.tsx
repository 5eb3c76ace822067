import { useState } from 'react';
import { Link } from 'react-router';
import type { OverlapPolicy, ScheduleView } from '../../api/page-types';
import { useBackfill, useScheduleAction, type ScheduleAction } from '../../api/schedule-queries';
import { CronText } from '../../components/CronText';
import { formatTime } from '../../components/format';
import { ProblemAlert } from '../../components/ProblemAlert';

/** A local datetime-local value `hours` from now. */
function localInput(hours: number): string {
  const at = new Date(Date.now() + hours * 3_600_000);
  return new Date(at.getTime() - at.getTimezoneOffset() * 60_000).toISOString().slice(0, 16);
}

/** One schedule: its timing, next and recent runs, and what can be done to it. */
export function ScheduleCard({ schedule }: { schedule: ScheduleView }) {
  const action = useScheduleAction();
  const backfill = useBackfill();
  const [confirmDelete, setConfirmDelete] = useState(false);
  const [filling, setFilling] = useState(false);
  const [range, setRange] = useState({ start: localInput(-1), end: localInput(0) });
  const [overlap, setOverlap] = useState<OverlapPolicy>('allow-all');
  const run = (what: ScheduleAction) => action.mutate({ id: schedule.id, action: what });
  const headingId = `schedule-${schedule.id}`;

  return (
    <article
      className="schedule-card"
      aria-labelledby={headingId}
      data-schedule-id={schedule.id}
      data-paused={schedule.paused}
    >
      <header className="schedule-head">
        <h2 id={headingId}>{schedule.id}</h2>
        <span className={`status ${schedule.paused ? 'status-paused' : 'status-running'}`}>
          <span aria-hidden="true">{schedule.paused ? '‖' : '▶'}</span>{' '}
          {schedule.paused ? 'paused' : 'active'}
        </span>
      </header>
      <dl className="schedule-facts">
        <dt>Spec</dt>
        <dd>{schedule.specName ? <code>{schedule.specName}</code> : '—'}</dd>
        <dt>When</dt>
        <dd>
          {schedule.cron.map((expression) => (
            <div key={expression}>
              <CronText expression={expression} />
            </div>
          ))}
          {schedule.every.map((every) => (
            <div key={every}>every {every}</div>
          ))}
        </dd>
        <dt>Overlap</dt>
        <dd>{schedule.overlap ?? 'skip'}</dd>
        {schedule.note && (
          <>
            <dt>Note</dt>
            <dd>{schedule.note}</dd>
          </>
        )}
      </dl>
      <div className="schedule-runs">
        <div>
          <h3>Next runs</h3>
          {schedule.paused ? (
            <p className="muted small">None while paused.</p>
          ) : (
            <ul data-testid="next-runs">
              {schedule.nextRuns.slice(0, 3).map((time) => (
                <li key={time}>
                  <time dateTime={time}>{formatTime(time)}</time>
                </li>
              ))}
            </ul>
          )}
        </div>
        <div>
          <h3>Recent runs</h3>
          {schedule.recentRuns.length === 0 ? (
            <p className="muted small">None yet. “Trigger now” starts one.</p>
          ) : (
            <ul data-testid="recent-runs">
              {schedule.recentRuns
                .slice(-5)
                .reverse()
                .map((recent) => (
                  <li key={recent.runId} data-run-id={recent.runId}>
                    <Link to={`/runs/${encodeURIComponent(recent.runId)}`}>{recent.runId}</Link>{' '}
                    <span className="muted small">{formatTime(recent.takenAt)}</span>
                  </li>
                ))}
            </ul>
          )}
        </div>
      </div>
      <div className="actions">
        <button
          type="button"
          className="button"
          disabled={action.isPending}
          onClick={() => run(schedule.paused ? 'unpause' : 'pause')}
        >
          {schedule.paused ? 'Unpause' : 'Pause'}
        </button>
        <button type="button" className="button" disabled={action.isPending} onClick={() => run('trigger')}>
          Trigger now
        </button>
        <button type="button" className="button" aria-expanded={filling} onClick={() => setFilling(!filling)}>
          Backfill…
        </button>
        {confirmDelete ? (
          <>
            <button type="button" className="button danger" onClick={() => run('delete')}>
              Delete {schedule.id}
            </button>
            <button type="button" className="button ghost" onClick={() => setConfirmDelete(false)}>
              Keep it
            </button>
          </>
        ) : (
          <button type="button" className="button danger" onClick={() => setConfirmDelete(true)}>
            Delete…
          </button>
        )}
      </div>
      {action.isSuccess && action.variables.action === 'trigger' && (
        <p className="notice small" role="status">
          Triggered: the run appears under recent runs in a moment.
        </p>
      )}
      {filling && (
        <form
          className="backfill-form"
          aria-label={`Backfill ${schedule.id}`}
          onSubmit={(event) => {
            event.preventDefault();
            backfill.mutate(
              {
                id: schedule.id,
                start: new Date(range.start).toISOString(),
                end: new Date(range.end).toISOString(),
                overlap,
              },
              { onSuccess: () => setFilling(false) },
            );
          }}
        >
          <label>
            From
            <input
              type="datetime-local"
              value={range.start}
              onChange={(event) => setRange({ ...range, start: event.target.value })}
              required
            />
          </label>
          <label>
            To
            <input
              type="datetime-local"
              value={range.end}
              onChange={(event) => setRange({ ...range, end: event.target.value })}
              required
            />
          </label>
          <label>
            Overlap
            <select value={overlap} onChange={(event) => setOverlap(event.target.value as OverlapPolicy)}>
              {['allow-all', 'skip', 'buffer-one', 'buffer-all', 'cancel-other', 'terminate-other'].map(
                (policy) => (
                  <option key={policy}>{policy}</option>
                ),
              )}
            </select>
          </label>
          <button type="submit" className="button primary" disabled={backfill.isPending}>
            Take the actions of this range
          </button>
        </form>
      )}
      {backfill.isSuccess && (
        <p className="notice small" role="status">
          Backfill started.
        </p>
      )}
      <ProblemAlert error={action.error} title={`${action.variables?.action ?? 'The action'} failed`} />
      <ProblemAlert error={backfill.error} title="Backfill failed" />
    </article>
  );
}
