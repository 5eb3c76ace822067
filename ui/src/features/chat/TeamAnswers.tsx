import type { ChatEntryView } from '../../api/chat-types';
import type { ChatTokens } from '../../api/chat-cache';
import type { TeamView } from './conversation-model';
import { describeResolution } from './conversation-model';
import { EntryBubble } from './EntryBubble';
import { EntryMeta } from './EntryMeta';
import { Markdown } from './Markdown';

type Props = { team: TeamView; tokens: ChatTokens; simulated: (entry: ChatEntryView) => boolean };

/** A team's answers side by side (a row per debate round), then how their disagreement was settled. */
export function TeamAnswers({ team, tokens, simulated }: Props) {
  const { resolution } = team;
  return (
    <div className="chat-team" data-testid="team">
      {team.rounds.map((answers, round) => (
        <section key={round} aria-label={round === 0 ? 'Team answers' : `Debate round ${round}`}>
          {round > 0 && <h3 className="small muted">Debate round {round}</h3>}
          <div className="chat-team-grid" style={{ '--cols': answers.length } as React.CSSProperties}>
            {answers.map((entry) => (
              <EntryBubble
                key={entry.id}
                entry={entry}
                tokens={tokens[entry.id]}
                simulated={simulated(entry)}
              />
            ))}
          </div>
        </section>
      ))}
      {resolution?.team && (
        <section
          className="chat-resolution"
          aria-label="Resolution"
          data-testid="resolution"
          data-method={resolution.team.method}
          data-disagreed={resolution.team.disagreed}
          data-winner={resolution.team.winner ?? ''}
        >
          <h3>
            Resolution: {resolution.team.method}
            {resolution.team.winner && <> · {resolution.team.winner} wins</>}
          </h3>
          <p className={resolution.team.disagreed ? 'chat-disagreed' : undefined}>
            {resolution.team.disagreed ? '⚠ ' : '✓ '}
            {describeResolution(resolution)}
          </p>
          <p className="small">{resolution.team.settled}</p>
          <EntryMeta entry={resolution} simulated={simulated(resolution)} />
          <Markdown text={resolution.text} />
        </section>
      )}
    </div>
  );
}
