import type { RunStatus, StepStatus } from '../api/types';

type Status = RunStatus | StepStatus | 'compensating';

const look: Record<Status, { icon: string; label: string }> = {
  pending: { icon: '○', label: 'pending' },
  running: { icon: '◐', label: 'running' },
  waiting: { icon: '◔', label: 'waiting' },
  paused: { icon: '‖', label: 'paused' },
  completed: { icon: '✓', label: 'completed' },
  failed: { icon: '✕', label: 'failed' },
  skipped: { icon: '↷', label: 'skipped' },
  cancelled: { icon: '⊘', label: 'cancelled' },
  compensating: { icon: '↺', label: 'compensating' },
};

/** A status as colour, icon and word together, so colour is never the only signal. */
export function StatusBadge({ status }: { status: string }) {
  const known = look[status as Status] ?? { icon: '?', label: status };
  return (
    <span className={`status status-${status}`} data-status={status}>
      <span aria-hidden="true">{known.icon}</span> {known.label}
    </span>
  );
}
