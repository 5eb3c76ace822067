import { useState } from 'react';
import { Link } from 'react-router';
import type { ApprovalEntry } from '../../api/types';
import { formatDuration, formatTime } from '../../components/format';

export type Decision = { runId: string; stepId: string; approve: boolean; comment: string };

type Props = {
  approvals: ApprovalEntry[];
  onDecide: (decision: Decision) => void;
  /** The entry whose decision is being sent, `runId/stepId`. */
  pending?: string | undefined;
  now?: number;
};

/** Every step waiting for a person, across runs: what it asks, until when, what happens then, and the buttons. */
export function ApprovalsInbox({ approvals, onDecide, pending, now = Date.now() }: Props) {
  return (
    <ul className="inbox" aria-label="Waiting approvals">
      {approvals.map((entry) => (
        <InboxItem
          key={`${entry.runId}/${entry.stepId}`}
          entry={entry}
          onDecide={onDecide}
          busy={pending === `${entry.runId}/${entry.stepId}`}
          now={now}
        />
      ))}
    </ul>
  );
}

function InboxItem({
  entry,
  onDecide,
  busy,
  now,
}: {
  entry: ApprovalEntry;
  onDecide: Props['onDecide'];
  busy: boolean;
  now: number;
}) {
  const [comment, setComment] = useState('');
  const inputId = `comment-${entry.runId}-${entry.stepId}`;
  const left = entry.deadline ? Date.parse(entry.deadline) - now : undefined;
  const decide = (approve: boolean) =>
    onDecide({ runId: entry.runId, stepId: entry.stepId, approve, comment });
  return (
    <li className="inbox-item" data-run-id={entry.runId} data-step-id={entry.stepId}>
      <div className="inbox-what">
        <p className="inbox-message">{entry.message ?? `Step ${entry.stepId} asks for a decision.`}</p>
        <p className="small muted">
          <Link to={`/runs/${encodeURIComponent(entry.runId)}?step=${encodeURIComponent(entry.stepId)}`}>
            {entry.runName} · {entry.stepId}
          </Link>{' '}
          <span>({entry.runId})</span>
        </p>
        <p className="small" data-testid="deadline">
          {entry.deadline ? (
            <>
              Deadline {formatTime(entry.deadline)}
              {left !== undefined && left > 0 && ` (in ${formatDuration(left)})`}; then it is{' '}
            </>
          ) : (
            <>No deadline; if it ever times out it is </>
          )}
          <strong>{entry.default === 'approve' ? 'approved' : 'rejected'}</strong> by default.
        </p>
      </div>
      <div className="inbox-decide">
        <label htmlFor={inputId}>Comment</label>
        <input
          id={inputId}
          value={comment}
          placeholder="optional"
          onChange={(event) => setComment(event.target.value)}
        />
        <div className="actions">
          <button
            type="button"
            className="button primary"
            disabled={busy}
            aria-label={`Approve ${entry.stepId} of ${entry.runId}`}
            onClick={() => decide(true)}
          >
            Approve
          </button>
          <button
            type="button"
            className="button danger"
            disabled={busy}
            aria-label={`Reject ${entry.stepId} of ${entry.runId}`}
            onClick={() => decide(false)}
          >
            Reject
          </button>
        </div>
      </div>
    </li>
  );
}
