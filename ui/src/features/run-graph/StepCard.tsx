import { useState } from 'react';
import { Link } from 'react-router';
import type { StepTokens } from '../../api/live-cache';
import { Elapsed } from '../../components/Elapsed';
import { formatUsd } from '../../components/format';
import { StatusBadge } from '../../components/StatusBadge';
import { stepActor, type CompensationNodeData, type StepNodeData } from './graph-model';

type Props = {
  data: StepNodeData;
  tokens?: StepTokens | undefined;
  selected?: boolean;
  onSelect?: (stepId: string) => void;
  onDecide?: (decision: { approve: boolean; comment: string }) => void;
  deciding?: boolean;
};

/**
 * One step of a run, as its graph node: status (colour, icon, word), who does it, attempts, duration,
 * tokens and cost, foreach progress, the text its model is writing, and approve/reject when it waits.
 */
export function StepCard({ data, tokens, selected, onSelect, onDecide, deciding }: Props) {
  const { step, declared, id } = data;
  const status = step?.status ?? 'pending';
  const kind = step?.kind ?? declared?.kind ?? 'step';
  const model = step?.model;
  const waitingForPerson = status === 'waiting' && kind === 'approval';
  const childRunId = kind === 'subworkflow' ? `${data.runId}.${id}` : undefined;
  const [comment, setComment] = useState('');
  return (
    <article
      className={`step-card step-${status}${selected ? ' selected' : ''}`}
      data-step-id={id}
      data-step-status={status}
      data-step-kind={kind}
      aria-label={`Step ${id}: ${status}`}
    >
      <header className="step-head">
        <button
          type="button"
          className="step-title"
          onClick={() => onSelect?.(id)}
          aria-pressed={selected}
          title={id}
        >
          {id}
        </button>
        <StatusBadge status={status} />
      </header>
      <p className="step-actor small">
        {stepActor(declared, step)}
        {data.planned && <span className="tag">planned</span>}
      </p>
      <p className="step-metrics small">
        {step?.attempts !== undefined && step.attempts > 1 && <span title="attempts">×{step.attempts}</span>}
        <span title="duration">
          <Elapsed start={step?.startedAt} end={step?.endedAt} />
        </span>
        {model && (
          <span title="tokens in / out">
            {model.inputTokens}→{model.outputTokens} tok
          </span>
        )}
        {model && <span title="cost">{formatUsd(model.costUsd)}</span>}
      </p>
      {step?.items && (
        <p className="step-items small" data-testid="foreach-progress">
          <progress max={step.items.total} value={step.items.done} aria-label={`${id} items done`} />
          {step.items.done}/{step.items.total}
        </p>
      )}
      {childRunId && (
        <p className="small">
          <Link to={`/runs/${encodeURIComponent(childRunId)}`}>open subworkflow ↗</Link>
        </p>
      )}
      {tokens && status === 'running' && (
        <p className="step-tokens small" data-testid="step-tokens" aria-live="off">
          {tokens.text.slice(-90) || '…'}
        </p>
      )}
      {waitingForPerson && (
        <form
          className="step-decide"
          onSubmit={(event) => event.preventDefault()}
          aria-label={`Decide ${id}`}
        >
          {step?.message && <p className="small step-message">{step.message}</p>}
          <label className="sr-only" htmlFor={`comment-${id}`}>
            Comment for {id}
          </label>
          <input
            id={`comment-${id}`}
            className="nodrag"
            placeholder="comment (optional)"
            value={comment}
            onChange={(event) => setComment(event.target.value)}
          />
          <div className="actions">
            <button
              type="button"
              className="button small primary nodrag"
              disabled={deciding}
              onClick={() => onDecide?.({ approve: true, comment })}
            >
              Approve
            </button>
            <button
              type="button"
              className="button small danger nodrag"
              disabled={deciding}
              onClick={() => onDecide?.({ approve: false, comment })}
            >
              Reject
            </button>
          </div>
        </form>
      )}
    </article>
  );
}

/** A compensation that ran, marked as one, with its place in the order. */
export function CompensationCard({ data }: { data: CompensationNodeData }) {
  const { record, order } = data;
  return (
    <article
      className="step-card compensation"
      data-compensation-step={record.stepId}
      data-compensation-order={order}
      data-step-status={record.status}
      aria-label={`Compensation ${order}: undo ${record.stepId}, ${record.status}`}
    >
      <header className="step-head">
        <span className="step-title">
          <span aria-hidden="true">↺</span> undo {record.stepId}
        </span>
        <StatusBadge status={record.status} />
      </header>
      <p className="small step-metrics">
        <span>compensation #{order}</span>
        <span>
          <Elapsed start={record.startedAt} end={record.endedAt} />
        </span>
        {record.error && <span className="error-text">{record.error}</span>}
      </p>
    </article>
  );
}
