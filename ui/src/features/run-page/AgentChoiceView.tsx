import type { AgentChoice } from '../../api/types';
import '../../components/tables.css';

const fixed = (x: number | undefined) => (x === undefined ? '—' : x.toFixed(3));

/** Why an `agent: auto` step runs the agent it does, and what every candidate was estimated at. */
export function AgentChoiceView({ choice }: { choice: AgentChoice }) {
  const alternatives = [...choice.alternatives].sort((a, b) => b.estimate - a.estimate);
  return (
    <section aria-label="Agent choice" data-testid="agent-choice" data-chosen={choice.agent}>
      <h3>Agent choice</h3>
      <p>
        <strong>{choice.agent}</strong> for {choice.needs.join(' + ')}{' '}
        <span className="muted small">
          ({choice.explored ? 'explored: chosen by its sampled reward' : 'the best estimate'}; context{' '}
          <code>{choice.context}</code>)
        </span>
      </p>
      <p className="small" data-testid="choice-reason">
        Why: {choice.reason}
      </p>
      <table className="data-table compact">
        <caption className="muted small">
          Every candidate&apos;s estimate when the choice was made (reward = success × quality − cost)
        </caption>
        <thead>
          <tr>
            <th scope="col">Agent</th>
            <th scope="col">Reward</th>
            <th scope="col">Success</th>
            <th scope="col">Quality</th>
            <th scope="col">Sampled</th>
            <th scope="col">Records</th>
          </tr>
        </thead>
        <tbody>
          {alternatives.map((alternative) => (
            <tr
              key={alternative.agent}
              data-agent={alternative.agent}
              aria-current={alternative.agent === choice.agent ? 'true' : undefined}
            >
              <th scope="row">
                {alternative.agent}
                {alternative.agent === choice.agent && <span className="small"> ✓ chosen</span>}
              </th>
              <td>{fixed(alternative.estimate)}</td>
              <td>{fixed(alternative.successMean)}</td>
              <td>{fixed(alternative.qualityMean)}</td>
              <td>{fixed(alternative.sampled)}</td>
              <td>{alternative.observations}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}
