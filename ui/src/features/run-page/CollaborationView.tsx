import type { CollaborationAnswer, CollaborationRecord } from '../../api/types';
import { formatUsd } from '../../components/format';
import './collaboration.css';

/** An answer in a line: its prose (summary, overview, answer or text) when it has some, else its JSON. */
function answerText(answer: CollaborationAnswer): string {
  if (!answer.ok) return answer.error ?? 'no answer';
  const output = answer.output;
  if (typeof output === 'string') return output;
  if (output === undefined) return '—';
  const fields = output as Record<string, unknown>;
  const prose = ['summary', 'overview', 'answer', 'text']
    .map((key) => fields[key])
    .find((v) => typeof v === 'string');
  return typeof prose === 'string' ? prose : JSON.stringify(output);
}

const roundName = (round: number) => (round === 0 ? 'answer' : `debate ${round}`);

/**
 * How a collaborate step went: every agent's answer in every round with its model, tokens and cost,
 * whether they disagreed, who won and why, and the judge's verdict or the vote's groups.
 */
export function CollaborationView({ record }: { record: CollaborationRecord }) {
  const answers = [...record.answers].sort(
    (a, b) => a.round - b.round || record.agents.indexOf(a.agent) - record.agents.indexOf(b.agent),
  );
  const lastRound = Math.max(0, ...answers.map((answer) => answer.round));
  const { verdict } = record;
  return (
    <section
      aria-label="Collaboration"
      data-testid="collaboration"
      data-mode={record.mode}
      data-winner={record.winner ?? ''}
      data-disagreed={record.disagreed === undefined ? '' : String(record.disagreed)}
    >
      <h3>
        Team · {record.mode}
        {record.winner && <> · {record.winner} wins</>}
      </h3>
      <p>
        {record.disagreed === undefined
          ? `${answers.length} of ${record.agents.length} answers so far`
          : record.disagreed
            ? '⚠ The agents disagreed'
            : '✓ The agents agreed'}
        {record.rounds !== undefined && ` · ${record.rounds} debate round${record.rounds === 1 ? '' : 's'}`}
        {' · '}
        {formatUsd(record.costUsd)} in all
      </p>
      {record.settled && (
        <p className="small" data-testid="collaboration-settled">
          How: {record.settled}
        </p>
      )}
      <ol className="collab-answers" aria-label="Answers">
        {answers.map((answer) => {
          const won = answer.agent === record.winner && answer.round === lastRound;
          const text = answerText(answer);
          return (
            <li
              key={`${answer.agent}.${answer.round}`}
              data-agent={answer.agent}
              data-round={answer.round}
              data-ok={answer.ok}
              aria-current={won ? 'true' : undefined}
            >
              <p className="collab-answer-head">
                <strong>{answer.agent}</strong>
                {won && <span className="collab-winner"> ✓ winner</span>}
                <span className="muted small">
                  {' '}
                  · {roundName(answer.round)} · {answer.modelId ?? 'no model'} · {answer.inputTokens}→
                  {answer.outputTokens} tok · {formatUsd(answer.costUsd)}
                  {record.mode === 'best-of' && ` · score ${answer.score?.toFixed(0) ?? '—'}`}
                </span>
              </p>
              <p
                className={answer.ok ? 'collab-answer-text small' : 'collab-answer-text small error-text'}
                title={text}
              >
                {answer.ok ? '' : '✗ '}
                {text.length > 240 ? `${text.slice(0, 237)}…` : text}
              </p>
            </li>
          );
        })}
      </ol>
      {record.groups && (
        <ol className="small" aria-label="Vote">
          {record.groups.map((group) => (
            <li key={group.agents.join('+')}>
              {group.agents.join(' + ')}: {group.count} vote{group.count === 1 ? '' : 's'}
            </li>
          ))}
          {record.tie && <li>a tie: the first answer in canonical order stands</li>}
        </ol>
      )}
      {verdict && (
        <div data-testid="verdict" data-choice={verdict.choice}>
          <h4>
            The judge, {verdict.judge}: {verdict.agree ? 'the answers agree' : 'the answers differ'}
            <span className="muted small">
              {' '}
              ({verdict.modelId ?? 'model unknown'}, {formatUsd(verdict.costUsd)})
            </span>
          </h4>
          <ul className="small">
            {verdict.reasons.map((reason) => (
              <li key={reason}>{reason}</li>
            ))}
          </ul>
        </div>
      )}
    </section>
  );
}
