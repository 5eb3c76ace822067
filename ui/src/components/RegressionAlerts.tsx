import { Link } from 'react-router';
import { useRegressionAlerts } from '../api/alerts-live';
import type { RegressionAlert } from '../api/types';
import { formatDuration, formatUsd } from './format';

const metricNames: Record<RegressionAlert['metric'], string> = {
  score: 'Score',
  costUsd: 'Cost',
  durationMs: 'Duration',
};

function figure(metric: RegressionAlert['metric'], value: number): string {
  if (metric === 'costUsd') return formatUsd(value);
  if (metric === 'durationMs') return formatDuration(value);
  return value.toFixed(1);
}

/** One alert: what got worse, by how much against the baseline, and a link to the run. */
export function RegressionToast({ alert, onDismiss }: { alert: RegressionAlert; onDismiss: () => void }) {
  const worse = alert.worseBy === null ? 'up from nothing' : `${Math.round(alert.worseBy * 100)}% worse`;
  return (
    <li className="toast" data-alert-id={alert.id} data-alert-metric={alert.metric}>
      <span aria-hidden="true" className="toast-icon">
        ⚠
      </span>
      <div>
        <strong>
          Regression: {metricNames[alert.metric]} {worse}
        </strong>
        <p className="small">
          <Link to={`/runs/${encodeURIComponent(alert.runId)}`}>{alert.specName}</Link>:{' '}
          {figure(alert.metric, alert.value)} against a baseline of {figure(alert.metric, alert.baseline)}
        </p>
      </div>
      <button
        type="button"
        className="button small ghost"
        onClick={onDismiss}
        aria-label={`Dismiss the ${metricNames[alert.metric].toLowerCase()} regression of ${alert.specName}`}
      >
        ✕
      </button>
    </li>
  );
}

/** The regression alerts the server sends, as toasts over every page until dismissed. */
export function RegressionAlerts() {
  const { alerts, dismiss } = useRegressionAlerts();
  return (
    <section className="toasts" aria-label="Alerts" aria-live="assertive" data-testid="alerts">
      {alerts.length > 0 && (
        <ul role="list">
          {alerts.map((alert) => (
            <RegressionToast key={alert.id} alert={alert} onDismiss={() => dismiss(alert.id)} />
          ))}
        </ul>
      )}
    </section>
  );
}
