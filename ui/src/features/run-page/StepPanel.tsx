import { useEffect, useMemo, useRef, useState } from 'react';
import type { StepTokens } from '../../api/live-cache';
import { useBlob } from '../../api/queries';
import type { RunSnapshot, SpecStep, StepSnapshot } from '../../api/types';
import { Elapsed } from '../../components/Elapsed';
import { formatTime, formatUsd } from '../../components/format';
import { ProblemAlert } from '../../components/ProblemAlert';
import { StatusBadge } from '../../components/StatusBadge';
import { AgentChoiceView } from './AgentChoiceView';
import { CollaborationView } from './CollaborationView';
import { resolveStepInput } from './resolved-input';

type BlobRef = { $blob: string; bytes: number; preview: string };
function isBlobRef(value: unknown): value is BlobRef {
  return typeof value === 'object' && value !== null && typeof (value as BlobRef).$blob === 'string';
}

type ToolCall = { tool: string; ok: boolean; error?: string };
type AgentOutput = { transcript?: string[]; toolCalls?: ToolCall[] };

type Props = {
  stepId: string;
  step: StepSnapshot | undefined;
  declared: SpecStep | undefined;
  run: RunSnapshot | undefined;
  tokens?: StepTokens | undefined;
  temporalUrl?: string | undefined;
  /** The run's input, for resolving the step's templates. */
  runInput?: Record<string, unknown> | undefined;
  onClose: () => void;
};

/** Everything about one step: input, output (large ones on demand), error, transcript, routing, links. */
export function StepPanel({ stepId, step, declared, run, tokens, temporalUrl, runInput, onClose }: Props) {
  const output = step?.output as (AgentOutput & Record<string, unknown>) | undefined;
  const messages = run?.messages.filter((message) => message.stepId === stepId) ?? [];
  const compensation = run?.compensations.find((record) => record.stepId === stepId);
  const input = useMemo(() => resolveStepInput(declared, run, runInput), [declared, run, runInput]);
  // Below the graph (tablet width) the panel is out of sight: bring it into view when a step is picked.
  const panel = useRef<HTMLElement>(null);
  useEffect(() => {
    if (window.matchMedia?.('(max-width: 1100px)').matches) {
      panel.current?.scrollIntoView?.({ block: 'start', behavior: 'smooth' });
    }
  }, [stepId]);
  return (
    <aside className="step-panel" aria-label={`Step ${stepId} details`} data-testid="step-panel" ref={panel}>
      <header className="panel-head">
        <h2>{stepId}</h2>
        <StatusBadge status={step?.status ?? 'pending'} />
        <button
          type="button"
          className="button small ghost"
          onClick={onClose}
          aria-label="Close step details"
        >
          ✕
        </button>
      </header>
      <dl className="facts">
        <dt>Kind</dt>
        <dd>{step?.kind ?? declared?.kind ?? '—'}</dd>
        {step?.tool && (
          <>
            <dt>Tool</dt>
            <dd>{step.tool}</dd>
          </>
        )}
        {declared?.kind === 'agent' && (
          <>
            <dt>Agent</dt>
            <dd>
              {step?.choice ? (
                <>
                  {step.choice.agent} <span className="muted small">(auto)</span>
                </>
              ) : step?.collaboration ? (
                <>
                  {step.collaboration.agents.join(', ')}{' '}
                  <span className="muted small">({step.collaboration.mode})</span>
                </>
              ) : (
                declared.agent
              )}
            </dd>
          </>
        )}
        <dt>Attempts</dt>
        <dd>{step?.attempts ?? '—'}</dd>
        <dt>Started</dt>
        <dd>{formatTime(step?.startedAt)}</dd>
        <dt>Duration</dt>
        <dd>
          <Elapsed start={step?.startedAt} end={step?.endedAt} />
        </dd>
        {step?.items && (
          <>
            <dt>Items</dt>
            <dd>
              {step.items.done}/{step.items.total}
            </dd>
          </>
        )}
        {compensation && (
          <>
            <dt>Compensation</dt>
            <dd>
              <StatusBadge status={compensation.status} /> {compensation.error}
            </dd>
          </>
        )}
      </dl>
      {temporalUrl && (
        <p>
          <a href={`${temporalUrl}/history`} target="_blank" rel="noreferrer">
            This run's events in Temporal Web ↗
          </a>{' '}
          <span className="muted small">(the step's activity is listed under its id)</span>
        </p>
      )}

      {step?.choice && <AgentChoiceView choice={step.choice} />}
      {step?.collaboration && <CollaborationView record={step.collaboration} />}

      {step?.model && (
        <section aria-label="Model routing">
          <h3>Model</h3>
          <p>
            <strong>{step.model.modelId}</strong> ({step.model.provider}) · {step.model.inputTokens} in,{' '}
            {step.model.outputTokens} out · {formatUsd(step.model.costUsd)}
          </p>
          <p data-testid="routing-reason">Why: {step.model.reason}</p>
          {step.model.attempts.length > 1 && (
            <ol className="small">
              {step.model.attempts.map((attempt, index) => (
                <li key={index}>
                  {attempt.modelId} ({attempt.provider}): {attempt.outcome}
                  {attempt.error && ` — ${attempt.error}`}
                </li>
              ))}
            </ol>
          )}
        </section>
      )}

      {tokens && (
        <section aria-label="Streaming output">
          <h3>{tokens.done ? 'Last model call' : 'Writing now'}</h3>
          <pre tabIndex={0} className="code tokens" data-testid="panel-tokens">
            {tokens.text}
          </pre>
          <p className="muted small">{tokens.modelId}</p>
        </section>
      )}

      {step?.message && (
        <section aria-label="Approval">
          <h3>Approval</h3>
          <p>{step.message}</p>
          {step.deadline && <p className="small">Deadline: {formatTime(step.deadline)}</p>}
          {step.decision && (
            <p>
              {step.decision.approved ? 'Approved' : 'Rejected'}
              {step.decision.timedOut && ' (nobody decided in time: the default applied)'}
              {step.decision.comment && `: “${step.decision.comment}”`}
            </p>
          )}
        </section>
      )}

      {step?.error && (
        <section aria-label="Error">
          <h3>Error</h3>
          <pre tabIndex={0} className="code error-text">
            {step.error}
          </pre>
        </section>
      )}

      <section aria-label="Input">
        <h3>Input</h3>
        <p className="muted small">
          Templates resolved from the run's input and the outputs of the steps before it
          {input.pending.length > 0 && `; ${input.pending.length} not known yet, shown as written`}.
        </p>
        <pre tabIndex={0} className="code" data-testid="step-input">
          {JSON.stringify(input.value, null, 2)}
        </pre>
      </section>

      {output?.transcript && output.transcript.length > 0 && (
        <section aria-label="Transcript">
          <h3>Transcript</h3>
          <ol className="small transcript">
            {output.transcript.map((line, index) => (
              <li key={index}>{line}</li>
            ))}
          </ol>
        </section>
      )}
      {output?.toolCalls && output.toolCalls.length > 0 && (
        <section aria-label="Tool calls">
          <h3>Tool calls</h3>
          <ul className="small">
            {output.toolCalls.map((call, index) => (
              <li key={index}>
                {call.tool}: {call.ok ? 'ok' : `error: ${call.error ?? ''}`}
              </li>
            ))}
          </ul>
        </section>
      )}
      {messages.length > 0 && (
        <section aria-label="Questions to other agents">
          <h3>Asked other agents</h3>
          {messages.map((message, index) => (
            <p key={index} className="small">
              <strong>
                {message.from} → {message.to}:
              </strong>{' '}
              {message.question} — <em>{message.answer}</em>
            </p>
          ))}
        </section>
      )}

      <section aria-label="Output">
        <h3>Output</h3>
        {step?.output === undefined ? <p className="muted">none yet</p> : <OutputView value={step.output} />}
      </section>
    </aside>
  );
}

/** A step's output: plain values as JSON, and each value moved to the blob store as a preview with a button. */
export function OutputView({ value }: { value: unknown }) {
  if (isBlobRef(value)) return <BlobView blob={value} />;
  if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
    const entries = Object.entries(value).filter(([key]) => key !== 'transcript' && key !== 'toolCalls');
    if (entries.some(([, inner]) => isBlobRef(inner))) {
      return (
        <dl className="output">
          {entries.map(([key, inner]) => (
            <div key={key}>
              <dt>
                <code>{key}</code>
              </dt>
              <dd>
                {isBlobRef(inner) ? (
                  <BlobView blob={inner} />
                ) : (
                  <pre tabIndex={0} className="code">
                    {JSON.stringify(inner, null, 2)}
                  </pre>
                )}
              </dd>
            </div>
          ))}
        </dl>
      );
    }
    return (
      <pre tabIndex={0} className="code">
        {JSON.stringify(Object.fromEntries(entries), null, 2)}
      </pre>
    );
  }
  return (
    <pre tabIndex={0} className="code">
      {typeof value === 'string' ? value : JSON.stringify(value, null, 2)}
    </pre>
  );
}

function BlobView({ blob }: { blob: BlobRef }) {
  const [open, setOpen] = useState(false);
  const content = useBlob(open ? blob.$blob : undefined);
  return (
    <div className="blob" data-blob-id={blob.$blob}>
      <pre tabIndex={0} className="code">
        {content.data ?? `${blob.preview}…`}
      </pre>
      {!content.data && (
        <button
          type="button"
          className="button small"
          onClick={() => setOpen(true)}
          disabled={content.isFetching}
        >
          {content.isFetching ? 'Loading…' : `Load the whole output (${blob.bytes.toLocaleString()} bytes)`}
        </button>
      )}
      <ProblemAlert error={content.error} title="The output could not be loaded" />
    </div>
  );
}
