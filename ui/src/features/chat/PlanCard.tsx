import { lazy, Suspense, useState } from 'react';
import { useDecidePlan } from '../../api/chat-queries';
import { useRun } from '../../api/queries';
import type { ChatEntryView } from '../../api/chat-types';
import type { SpecStep } from '../../api/types';
import { ProblemAlert } from '../../components/ProblemAlert';
import { RunGraph } from '../run-graph/RunGraph';
import { EntryMeta } from './EntryMeta';
import { Markdown } from './Markdown';

type Props = { sessionId: string; entry: ChatEntryView; simulated: boolean };

const noSelect = () => undefined;
// The editor (CodeMirror) loads only when someone edits a plan.
const YamlEditor = lazy(() => import('../../components/YamlEditor'));

/** A proposed plan as a graph, to approve as it is, approve as edited YAML, or reject. */
export function PlanCard({ sessionId, entry, simulated }: Props) {
  const plan = entry.plan;
  const decide = useDecidePlan(sessionId);
  const [editing, setEditing] = useState(false);
  const [yaml, setYaml] = useState(plan?.yaml ?? '');
  const steps = planSteps(plan?.spec);
  const open = plan?.status === 'proposed' && entry.status === 'done';
  return (
    <article
      className="chat-bubble chat-plan"
      aria-label="Plan"
      data-entry-id={entry.id}
      data-role="plan"
      data-status={entry.status}
      data-plan-status={plan?.status ?? 'none'}
    >
      <EntryMeta entry={entry} simulated={simulated} />
      <h3>Plan{plan?.goal ? `: ${plan.goal}` : ''}</h3>
      {entry.status === 'running' && <p className="muted small">planning…</p>}
      {entry.text && <Markdown text={entry.text} />}
      {plan?.problems && plan.problems.length > 0 && (
        <ul className="chat-error small" aria-label="Problems with the plan">
          {plan.problems.map((problem) => (
            <li key={problem}>{problem}</li>
          ))}
        </ul>
      )}
      {steps.length > 0 && !editing && (
        <div className="chat-plan-graph">
          {plan?.runId ? (
            <PlanRunGraph runId={plan.runId} steps={steps} />
          ) : (
            <RunGraph runId={`plan-${entry.id}`} steps={steps} run={undefined} onSelect={noSelect} />
          )}
        </div>
      )}
      {editing && (
        <Suspense fallback={<p className="muted small">Loading the editor…</p>}>
          <YamlEditor label="The plan as YAML" value={yaml} onChange={setYaml} />
        </Suspense>
      )}
      <ProblemAlert error={decide.error} title="The plan was not decided" />
      {open && (
        <div className="actions">
          <button
            type="button"
            className="button primary"
            disabled={decide.isPending}
            onClick={() => decide.mutate({ messageId: entry.id, approved: true, ...(editing && { yaml }) })}
          >
            {editing ? 'Approve the edited plan' : 'Approve'}
          </button>
          <button
            type="button"
            className="button"
            onClick={() => {
              // The plan's YAML arrives with the finished plan, after the card first showed.
              if (!editing && !yaml) setYaml(plan?.yaml ?? '');
              setEditing(!editing);
            }}
          >
            {editing ? 'Show the graph' : 'Edit as YAML'}
          </button>
          <button
            type="button"
            className="button danger"
            disabled={decide.isPending}
            onClick={() => decide.mutate({ messageId: entry.id, approved: false })}
          >
            Reject
          </button>
        </div>
      )}
      {plan?.status === 'approved' && (
        <p className="small">✓ Approved{plan.runId ? `: run ${plan.runId}` : ''}.</p>
      )}
      {plan?.status === 'rejected' && <p className="small">⊘ Rejected.</p>}
    </article>
  );
}

/** An approved plan's graph with its run's statuses, kept live by the run card beside it. */
function PlanRunGraph({ runId, steps }: { runId: string; steps: SpecStep[] }) {
  const { data } = useRun(runId);
  return <RunGraph runId={runId} steps={steps} run={data} onSelect={noSelect} />;
}

/** The steps of a plan's spec, if it has any; the spec is the server's, checked when it was made. */
function planSteps(spec: unknown): SpecStep[] {
  const steps = (spec as { steps?: unknown } | undefined)?.steps;
  return Array.isArray(steps) ? (steps as SpecStep[]) : [];
}
