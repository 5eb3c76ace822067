import { useState } from 'react';
import {
  Bar,
  BarChart,
  CartesianGrid,
  Legend,
  Line,
  LineChart,
  ReferenceLine,
  Tooltip,
  XAxis,
  YAxis,
} from 'recharts';
import { useCostAnalytics, useRunAnalytics, useStepAnalytics } from '../../api/insight-queries';
import { formatDuration, formatUsd } from '../../components/format';
import { ProblemAlert } from '../../components/ProblemAlert';
import { axis, Panel, tooltip } from './ChartPanel';
import { PerformanceSection } from './PerformanceSection';
import './dashboards.css';

const statusColours: Record<string, string> = {
  completed: 'var(--completed)',
  failed: 'var(--failed)',
  cancelled: 'var(--cancelled)',
  running: 'var(--running)',
  waiting: 'var(--waiting)',
  paused: 'var(--pending)',
};
/** Runs, spend, the local-call share and step durations over the last days, from /api/analytics. */
export default function DashboardsPage() {
  const [days, setDays] = useState(7);
  const runs = useRunAnalytics(days);
  const cost = useCostAnalytics(days);
  const steps = useStepAnalytics(days);
  const runDays = (runs.data?.byDay ?? []).map((day) => ({ day: day.day.slice(5), ...day.byStatus }));
  const shown = Object.keys(statusColours).filter((status) => (runs.data?.byStatus[status] ?? 0) > 0);
  const local = cost.data?.local;
  const shareDays = (local?.byDay ?? []).map((day) => ({
    day: day.day.slice(5),
    ...(day.share !== undefined && { share: Math.round(day.share * 1000) / 10 }),
  }));
  const target = (local?.target ?? 0.95) * 100;
  const calls = cost.data?.total.calls ?? 0;
  // Local models cost $0: calls without spend leave the cost charts blank, so they say why.
  const noSpend =
    cost.data &&
    cost.data.total.usd === 0 &&
    (calls === 0
      ? 'No model calls in this period: model and agent steps show their spend here.'
      : `Nothing spent: the ${calls} model call${calls === 1 ? ' was' : 's were'} served free (local models cost $0).`);

  return (
    <section className="page dashboards-page">
      <div className="page-head">
        <h1>Dashboards</h1>
        <label>
          Period
          <select value={days} onChange={(event) => setDays(Number(event.target.value))}>
            {[1, 7, 14, 30, 90].map((n) => (
              <option key={n} value={n}>
                last {n} day{n === 1 ? '' : 's'}
              </option>
            ))}
          </select>
        </label>
      </div>
      <ProblemAlert error={runs.error} title="Run counts could not be loaded" />
      <ProblemAlert error={cost.error} title="Spend could not be loaded" />
      <ProblemAlert error={steps.error} title="Step durations could not be loaded" />
      {runs.data?.total === 0 && (
        <p className="notice">
          No runs in this period yet: start <code>hello.yaml</code> on the Start page and the charts fill in.
        </p>
      )}
      <div className="chart-grid">
        <Panel
          title="Runs per day"
          summary={`${runs.data?.total ?? '…'} runs, by status`}
          empty={runs.data?.total === 0 && 'No runs in this period.'}
        >
          <BarChart data={runDays}>
            <CartesianGrid strokeDasharray="3 3" stroke="var(--border)" />
            <XAxis dataKey="day" tick={axis} />
            <YAxis allowDecimals={false} tick={axis} />
            <Tooltip {...tooltip} />
            <Legend />
            {(shown.length > 0 ? shown : ['completed']).map((status) => (
              <Bar
                key={status}
                dataKey={status}
                stackId="runs"
                fill={statusColours[status]}
                isAnimationActive={false}
              />
            ))}
          </BarChart>
        </Panel>
        <Panel
          title="Cost per day"
          summary={`${formatUsd(cost.data?.total.usd)} over ${cost.data?.total.calls ?? 0} calls`}
          empty={noSpend}
        >
          <BarChart data={(cost.data?.byDay ?? []).map((day) => ({ day: day.day.slice(5), usd: day.usd }))}>
            <CartesianGrid strokeDasharray="3 3" stroke="var(--border)" />
            <XAxis dataKey="day" tick={axis} />
            <YAxis tick={axis} tickFormatter={(value: number) => `$${value}`} />
            <Tooltip {...tooltip} formatter={(value) => formatUsd(Number(value))} />
            <Bar dataKey="usd" name="USD" fill="var(--accent)" isAnimationActive={false} />
          </BarChart>
        </Panel>
        <Panel title="Cost per agent" summary="USD spent on each agent's model calls" empty={noSpend}>
          <BarChart data={cost.data?.byAgent ?? []} layout="vertical" margin={{ left: 24 }}>
            <CartesianGrid strokeDasharray="3 3" stroke="var(--border)" />
            <XAxis type="number" tick={axis} tickFormatter={(value: number) => `$${value}`} />
            <YAxis type="category" dataKey="agent" tick={axis} width={110} />
            <Tooltip {...tooltip} formatter={(value) => formatUsd(Number(value))} />
            <Bar dataKey="usd" name="USD" fill="var(--running)" isAnimationActive={false} />
          </BarChart>
        </Panel>
        <Panel title="Cost per model" summary="USD and calls per model" empty={noSpend}>
          <BarChart data={cost.data?.byModel ?? []} layout="vertical" margin={{ left: 24 }}>
            <CartesianGrid strokeDasharray="3 3" stroke="var(--border)" />
            <XAxis type="number" tick={axis} tickFormatter={(value: number) => `$${value}`} />
            <YAxis type="category" dataKey="modelId" tick={axis} width={130} />
            <Tooltip {...tooltip} formatter={(value) => formatUsd(Number(value))} />
            <Bar dataKey="usd" name="USD" fill="var(--compensating)" isAnimationActive={false} />
          </BarChart>
        </Panel>
        <Panel
          title="Local share of model calls"
          summary={
            local?.share === undefined
              ? `no model calls yet; the target is ${target}%`
              : `${(local.share * 100).toFixed(1)}% of ${local.calls} calls local; target ${target}%`
          }
          empty={
            local &&
            local.share === undefined &&
            `No model calls yet, so no share: the target is ${target}% local.`
          }
        >
          <LineChart data={shareDays}>
            <CartesianGrid strokeDasharray="3 3" stroke="var(--border)" />
            <XAxis dataKey="day" tick={axis} />
            <YAxis domain={[0, 100]} tick={axis} tickFormatter={(value: number) => `${value}%`} />
            <Tooltip {...tooltip} formatter={(value) => `${String(value)}%`} />
            <ReferenceLine
              y={target}
              stroke="var(--failed)"
              strokeDasharray="6 3"
              label={{
                value: `target ${target}%`,
                fill: 'var(--text)',
                fontSize: 12,
                position: 'insideBottomLeft',
              }}
            />
            <Line
              dataKey="share"
              name="local %"
              stroke="var(--completed)"
              strokeWidth={2}
              dot={{ r: 4 }}
              connectNulls
              isAnimationActive={false}
            />
          </LineChart>
        </Panel>
        <Panel
          title="Step duration per agent"
          summary="p50 and p95 of each agent's steps"
          empty={
            steps.data?.byAgent.length === 0 &&
            'No agent steps finished in this period: their p50 and p95 durations show here.'
          }
        >
          <BarChart data={steps.data?.byAgent ?? []} margin={{ left: 12 }}>
            <CartesianGrid strokeDasharray="3 3" stroke="var(--border)" />
            <XAxis dataKey="agent" tick={axis} />
            <YAxis tick={axis} tickFormatter={(value: number) => formatDuration(value)} width={70} />
            <Tooltip {...tooltip} formatter={(value) => formatDuration(Number(value))} />
            <Legend />
            <Bar dataKey="p50Ms" name="p50" fill="var(--running)" isAnimationActive={false} />
            <Bar dataKey="p95Ms" name="p95" fill="var(--waiting)" isAnimationActive={false} />
          </BarChart>
        </Panel>
      </div>
      <PerformanceSection days={days} />
    </section>
  );
}
