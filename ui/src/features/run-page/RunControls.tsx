import { useControlRun, type Control } from '../../api/queries';
import type { RunSnapshot } from '../../api/types';
import { ProblemAlert } from '../../components/ProblemAlert';

const closed = new Set(['completed', 'failed', 'cancelled']);

/** Pause, resume and cancel, offered only when they apply. */
export function RunControls({ run }: { run: RunSnapshot }) {
  const control = useControlRun(run.runId);
  const act = (action: Control) => control.mutate(action);
  if (closed.has(run.status)) return null;
  return (
    <div className="actions">
      {run.status === 'paused' ? (
        <button type="button" className="button" disabled={control.isPending} onClick={() => act('resume')}>
          Resume
        </button>
      ) : (
        <button type="button" className="button" disabled={control.isPending} onClick={() => act('pause')}>
          Pause
        </button>
      )}
      <button
        type="button"
        className="button danger"
        disabled={control.isPending}
        onClick={() => act('cancel')}
      >
        Cancel run
      </button>
      <ProblemAlert error={control.error} title={`The run could not be changed`} />
    </div>
  );
}
