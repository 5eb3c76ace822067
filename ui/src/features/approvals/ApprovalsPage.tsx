import { useApprovals, useDecide } from '../../api/queries';
import { EmptyState } from '../../components/EmptyState';
import { ProblemAlert } from '../../components/ProblemAlert';
import { useNow } from '../../components/use-now';
import { ApprovalsInbox } from './ApprovalsInbox';

/** The inbox: every step waiting for a person, across every run. */
export default function ApprovalsPage() {
  const approvals = useApprovals();
  const decide = useDecide();
  const now = useNow(10_000);
  const entries = approvals.data?.approvals ?? [];
  const pending =
    decide.isPending && decide.variables ? `${decide.variables.runId}/${decide.variables.stepId}` : undefined;
  return (
    <section className="page">
      <h1>Approvals</h1>
      <ProblemAlert error={approvals.error} title="The approvals could not be listed" />
      <ProblemAlert error={decide.error} title="The decision was not taken" />
      {decide.isSuccess && decide.variables && (
        <p role="status" className="notice">
          {decide.variables.approve ? 'Approved' : 'Rejected'} {decide.variables.stepId} of{' '}
          {decide.variables.runId}.
        </p>
      )}
      {approvals.isSuccess && entries.length === 0 ? (
        <EmptyState title="Nothing waits for a decision">
          <p>
            Steps of kind <code>approval</code> appear here while they wait; try{' '}
            <code>examples/approval.yaml</code>.
          </p>
        </EmptyState>
      ) : (
        <ApprovalsInbox
          approvals={entries}
          pending={pending}
          now={now}
          onDecide={({ runId, stepId, approve, comment }) =>
            decide.mutate({ runId, stepId, approve, comment })
          }
        />
      )}
    </section>
  );
}
