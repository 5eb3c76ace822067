import type { PerformanceRow } from '../../api/page-types';
import { formatDuration, formatUsd } from '../../components/format';
import '../../components/tables.css';
import { Sparkline } from './Sparkline';

const percent = (share: number | undefined) => (share === undefined ? '—' : `${Math.round(share * 100)}%`);

/**
 * One row per agent or model: success rate, mean score, p50/p95 duration, cost per success, local
 * share and the daily success-rate trend, from /api/analytics/agents or /models.
 */
export function PerformanceTable({
  title,
  what,
  rows,
  local,
}: {
  title: string;
  what: 'Agent' | 'Model';
  rows: ReadonlyArray<PerformanceRow & { local?: boolean }>;
  /** Per model: a Where column from the catalogue, instead of the share. */
  local?: boolean;
}) {
  return (
    <div className="table-scroll">
      <table
        className="data-table performance-table"
        aria-label={title}
        data-testid={`${what.toLowerCase()}-performance`}
      >
        <thead>
          <tr>
            <th scope="col">{what}</th>
            <th scope="col" className="num">
              Steps
            </th>
            <th scope="col" className="num">
              Success
            </th>
            <th scope="col" className="num">
              Mean score
            </th>
            <th scope="col" className="num">
              p50 / p95
            </th>
            <th scope="col" className="num">
              Cost per success
            </th>
            <th scope="col" className="num">
              {local ? 'Where' : 'Local share'}
            </th>
            <th scope="col">Success per day</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((row) => (
            <tr key={row.id} data-row-id={row.id} data-success-rate={row.successRate}>
              <th scope="row">{row.id}</th>
              <td className="num">{row.steps}</td>
              <td className="num">
                {percent(row.successRate)}{' '}
                <span className="muted small">
                  ({row.successes}/{row.steps})
                </span>
              </td>
              <td className="num">{row.meanScore.toFixed(0)}</td>
              <td className="num">
                {formatDuration(row.p50Ms)} / {formatDuration(row.p95Ms)}
              </td>
              <td className="num">
                {row.costPerSuccess === undefined ? (
                  <span className="muted">no success yet</span>
                ) : (
                  formatUsd(row.costPerSuccess)
                )}
              </td>
              <td className="num">{local ? (row.local ? 'local' : 'cloud') : percent(row.localShare)}</td>
              <td>
                <Sparkline
                  points={row.byDay.map((day) => ({ day: day.day, value: day.successRate }))}
                  label={`${row.id}: success per day, ${
                    row.byDay
                      .filter((day) => day.successRate !== undefined)
                      .map((day) => `${day.day.slice(5)} ${percent(day.successRate)}`)
                      .join(', ') || 'no steps'
                  }`}
                />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
