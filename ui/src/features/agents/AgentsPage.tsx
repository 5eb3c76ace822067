import { Link } from 'react-router';
import { useAgentsLive } from '../../api/agents-live';
import { useAgents } from '../../api/insight-queries';
import { useLiveState } from '../../api/socket';
import { EmptyState } from '../../components/EmptyState';
import { formatDuration, formatUsd } from '../../components/format';
import { ProblemAlert } from '../../components/ProblemAlert';
import '../../components/tables.css';

const percent = (rate: number | undefined) => (rate === undefined ? '—' : `${Math.round(rate * 100)}%`);

/** The registry's agents with what the workers say they do now (agents:status, live). */
export default function AgentsPage() {
  useAgentsLive();
  const agents = useAgents();
  const live = useLiveState();
  const list = agents.data?.agents ?? [];
  const busy = list.filter((agent) => agent.status.state === 'busy').length;
  return (
    <section className="page agents-page">
      <div className="page-head">
        <h1>Agents</h1>
        <p className="muted small" role="status">
          {list.length} agents, {busy} busy · {live === 'live' ? 'live' : 'not live: showing the last answer'}
        </p>
      </div>
      <ProblemAlert error={agents.error} title="The agents could not be listed" />
      {agents.data && agents.data.queues.length > 0 && (
        <ul className="queue-list" aria-label="Task queues">
          {agents.data.queues.map((queue) => (
            <li key={queue.taskQueue} data-task-queue={queue.taskQueue}>
              <code>{queue.taskQueue}</code>: {queue.backlog ?? '?'} waiting, {queue.pollers} worker
              {queue.pollers === 1 ? '' : 's'} polling
              {queue.error && <span className="muted"> ({queue.error})</span>}
            </li>
          ))}
        </ul>
      )}
      {agents.isSuccess && list.length === 0 ? (
        <EmptyState title="No agents registered">
          <p>
            The API found no agent definitions. Start it with the shipped registry (<code>npm start</code>{' '}
            loads <code>agents/</code>).
          </p>
        </EmptyState>
      ) : (
        <div className="table-scroll">
          <table className="data-table" aria-label="Agents">
            <thead>
              <tr>
                <th scope="col">Agent</th>
                <th scope="col">State</th>
                <th scope="col">Working on</th>
                <th scope="col" className="num">
                  Finished
                </th>
                <th scope="col" className="num">
                  Success
                </th>
                <th scope="col" className="num">
                  Avg latency
                </th>
                <th scope="col" className="num">
                  Avg cost
                </th>
              </tr>
            </thead>
            <tbody>
              {list.map((agent) => (
                <tr key={agent.id} data-agent-id={agent.id} data-agent-state={agent.status.state}>
                  <td>
                    <strong>{agent.id}</strong>
                    <div className="muted small">{agent.description}</div>
                  </td>
                  <td>
                    <span
                      className={`status ${agent.status.state === 'busy' ? 'status-running' : 'status-pending'}`}
                    >
                      <span aria-hidden="true">{agent.status.state === 'busy' ? '◐' : '○'}</span>{' '}
                      {agent.status.state}
                    </span>
                  </td>
                  <td>
                    {agent.status.current.length === 0 ? (
                      <span className="muted">—</span>
                    ) : (
                      agent.status.current.map((work) => (
                        <div key={`${work.runId}/${work.stepId}`}>
                          <Link to={`/runs/${encodeURIComponent(work.runId)}`}>{work.runId}</Link> · step{' '}
                          <code>{work.stepId}</code>
                        </div>
                      ))
                    )}
                  </td>
                  <td className="num">{agent.status.finished}</td>
                  <td className="num">{percent(agent.status.successRate)}</td>
                  <td className="num">{formatDuration(agent.status.avgLatencyMs)}</td>
                  <td className="num">{formatUsd(agent.status.avgCostUsd)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
