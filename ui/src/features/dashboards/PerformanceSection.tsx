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
import { useAgentPerformance, useLearningCurve, useModelPerformance } from '../../api/insight-queries';
import { formatUsd } from '../../components/format';
import { ProblemAlert } from '../../components/ProblemAlert';
import { axis, Panel, tooltip } from './ChartPanel';
import { PerformanceTable } from './PerformanceTable';

const pct = (share: number | undefined) => (share === undefined ? undefined : Math.round(share * 1000) / 10);

/**
 * Per agent and per model, from the outcome records, and the learning curve of `agent: auto`: the
 * tables with trends, and charts of success, local share, cost per success and optimal choices.
 */
export function PerformanceSection({ days }: { days: number }) {
  const agents = useAgentPerformance(days);
  const models = useModelPerformance(days);
  const curve = useLearningCurve(days);
  const agentRows = agents.data?.agents ?? [];
  const modelRows = models.data?.models ?? [];
  const learning = curve.data;
  const windows = (learning?.windows ?? []).map((w) => ({
    choices: w.first === w.last ? `${w.first}` : `${w.first}–${w.last}`,
    share: pct(w.share),
  }));
  return (
    <section className="performance" aria-labelledby="performance-title">
      <h2 id="performance-title">Agents and models</h2>
      <p className="muted small">
        From the outcome records: one per step that ended. Local share is the share of an agent&apos;s steps
        whose model is local in the catalogue.
      </p>
      <ProblemAlert error={agents.error} title="Agent performance could not be loaded" />
      <ProblemAlert error={models.error} title="Model performance could not be loaded" />
      <ProblemAlert error={curve.error} title="The learning curve could not be loaded" />
      {agents.isSuccess && agentRows.length === 0 ? (
        <p className="notice">No agent steps ended in this period: each agent&apos;s figures show here.</p>
      ) : (
        <PerformanceTable title="Performance per agent" what="Agent" rows={agentRows} />
      )}
      {models.isSuccess && modelRows.length === 0 ? (
        <p className="notice">No step called a model in this period: each model&apos;s figures show here.</p>
      ) : (
        <PerformanceTable title="Performance per model" what="Model" rows={modelRows} local />
      )}
      <div className="chart-grid">
        <Panel
          title="Success and local share per agent"
          summary="% of each agent's steps"
          empty={agents.isSuccess && agentRows.length === 0 && 'No agent steps in this period.'}
        >
          <BarChart
            data={agentRows.map((row) => ({
              id: row.id,
              success: pct(row.successRate),
              local: pct(row.localShare) ?? 0,
            }))}
            margin={{ left: 12 }}
          >
            <CartesianGrid strokeDasharray="3 3" stroke="var(--border)" />
            <XAxis dataKey="id" tick={axis} />
            <YAxis domain={[0, 100]} tick={axis} tickFormatter={(value: number) => `${value}%`} />
            <Tooltip {...tooltip} formatter={(value) => `${String(value)}%`} />
            <Legend />
            <Bar dataKey="success" name="success %" fill="var(--completed)" isAnimationActive={false} />
            <Bar dataKey="local" name="local %" fill="var(--running)" isAnimationActive={false} />
          </BarChart>
        </Panel>
        <Panel
          title="Cost per success per model"
          summary="USD spent per successful step"
          empty={
            models.isSuccess &&
            modelRows.every((row) => !row.costPerSuccess) &&
            (modelRows.length === 0
              ? 'No model steps in this period.'
              : 'Nothing spent per success: local models cost $0.')
          }
        >
          <BarChart
            data={modelRows.map((row) => ({ id: row.id, usd: row.costPerSuccess ?? 0 }))}
            layout="vertical"
            margin={{ left: 24 }}
          >
            <CartesianGrid strokeDasharray="3 3" stroke="var(--border)" />
            <XAxis type="number" tick={axis} tickFormatter={(value: number) => `$${value}`} />
            <YAxis type="category" dataKey="id" tick={axis} width={130} />
            <Tooltip {...tooltip} formatter={(value) => formatUsd(Number(value))} />
            <Bar dataKey="usd" name="USD per success" fill="var(--compensating)" isAnimationActive={false} />
          </BarChart>
        </Panel>
        <Panel
          title="Learning curve"
          summary={
            learning?.share === undefined
              ? 'share of agent: auto choices that were optimal'
              : `${learning.optimal} of ${learning.choices} choices optimal (${pct(learning.share)}%); per 5 choices, in order`
          }
          empty={
            learning &&
            learning.choices === 0 &&
            'No agent: auto choices in this period: the share of optimal ones shows here.'
          }
        >
          <LineChart data={windows} margin={{ top: 8, left: 4, right: 12 }}>
            <CartesianGrid strokeDasharray="3 3" stroke="var(--border)" />
            <XAxis dataKey="choices" tick={axis} />
            <YAxis domain={[0, 100]} tick={axis} tickFormatter={(value: number) => `${value}%`} />
            <Tooltip {...tooltip} formatter={(value) => `${String(value)}% optimal`} />
            {learning?.share !== undefined && (
              <ReferenceLine y={pct(learning.share)} stroke="var(--muted)" strokeDasharray="6 3" />
            )}
            <Line
              dataKey="share"
              name="optimal %"
              stroke="var(--accent)"
              strokeWidth={2}
              dot={{ r: 4 }}
              isAnimationActive={false}
            />
          </LineChart>
        </Panel>
        <section className="chart-panel learning-notes" aria-label="What optimal means">
          <strong>What “optimal” means</strong>
          <p className="small">{learning?.definition ?? '…'}.</p>
          {learning && learning.contexts.length > 0 && (
            <ul className="small" data-testid="hindsight-best">
              {learning.contexts.map((context) => (
                <li key={context.context}>
                  <code>{context.context}</code>: best in hindsight <strong>{context.best}</strong>;{' '}
                  {context.optimal} of {context.choices} choices optimal
                </li>
              ))}
            </ul>
          )}
        </section>
      </div>
    </section>
  );
}
