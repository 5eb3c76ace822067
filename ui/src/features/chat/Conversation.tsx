import { useEffect, useMemo, useRef } from 'react';
import type { ChatEntryView, ChatSessionView } from '../../api/chat-types';
import type { ChatTokens } from '../../api/chat-cache';
import { groupTurns } from './conversation-model';
import { EntryBubble } from './EntryBubble';
import { PlanCard } from './PlanCard';
import { RunCard } from './RunCard';
import { TeamAnswers } from './TeamAnswers';

type Props = { session: ChatSessionView; tokens: ChatTokens; allSimulated: boolean };

/** The conversation, turn by turn, kept scrolled to the newest text while the reader is at the bottom. */
export function Conversation({ session, tokens, allSimulated }: Props) {
  const turns = useMemo(() => groupTurns(session.messages), [session.messages]);
  const simulated = (entry: ChatEntryView) =>
    entry.role !== 'user' && (allSimulated || Boolean(entry.simulated));
  const list = useRef<HTMLDivElement>(null);
  const atBottom = useRef(true);
  const seen = useRef(0);
  const streamed = Object.values(tokens).reduce((sum, stream) => sum + stream.text.length, 0);
  const count = session.messages.length;
  // A new entry (a reply, a plan, a run) is always brought into view; growing text only while the
  // reader stays at the bottom, so scrolling back to read is not undone.
  useEffect(() => {
    const box = list.current;
    if (!box) return;
    const added = count > seen.current;
    seen.current = count;
    if (added || atBottom.current) box.scrollTop = box.scrollHeight;
  }, [session.version, streamed, count]);
  const onScroll = () => {
    const box = list.current;
    if (box) atBottom.current = box.scrollHeight - box.scrollTop - box.clientHeight < 40;
  };
  if (session.messages.length === 0)
    return (
      <div className="chat-log chat-empty" ref={list}>
        <p className="muted">
          Ask one agent, a team, or ask for a workflow. Type <code>/</code> for commands.
        </p>
      </div>
    );
  return (
    <div
      className="chat-log"
      role="log"
      aria-label="Conversation"
      ref={list}
      onScroll={onScroll}
      data-version={session.version}
    >
      {turns.map((turn) => (
        <div className="chat-turn" key={turn.id} data-turn={turn.id}>
          {turn.user && <EntryBubble entry={turn.user} tokens={undefined} simulated={false} />}
          {turn.team && <TeamAnswers team={turn.team} tokens={tokens} simulated={simulated} />}
          {turn.answers.map((entry) =>
            entry.role === 'plan' ? (
              <PlanCard
                key={entry.id}
                sessionId={session.sessionId}
                entry={entry}
                simulated={simulated(entry)}
              />
            ) : entry.role === 'run' ? (
              <RunCard key={entry.id} entry={entry} />
            ) : (
              <EntryBubble
                key={entry.id}
                entry={entry}
                tokens={tokens[entry.id]}
                simulated={simulated(entry)}
              />
            ),
          )}
        </div>
      ))}
    </div>
  );
}
