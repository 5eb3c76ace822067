import { useState } from 'react';
import { useNavigate } from 'react-router';
import { useChatLive } from '../../api/chat-live';
import { useChatSession, useChatTokens, useDeleteSession } from '../../api/chat-queries';
import { ApiError } from '../../api/client';
import { useAgents } from '../../api/insight-queries';
import { useUiConfig } from '../../api/queries';
import { useLiveState } from '../../api/socket';
import { formatUsd } from '../../components/format';
import { ProblemAlert } from '../../components/ProblemAlert';
import { Composer } from './Composer';
import { Conversation } from './Conversation';
import { turnInFlight } from './conversation-model';
import type { ModeChoice } from './ModePicker';

/** Agents that only serve others (planning, summing up, judging, deploying) are not offered to chat with. */
const helpers = new Set(['planner', 'summarizer', 'reviewer', 'deploy']);
const defaultTeam = ['code-generator', 'security-reviewer', 'architecture-advisor'];

/** One conversation, live: its messages and streaming answers, and the composer under them. */
export function ChatSession({ sessionId }: { sessionId: string }) {
  useChatLive(sessionId);
  const session = useChatSession(sessionId);
  const tokens = useChatTokens(sessionId);
  const config = useUiConfig();
  const live = useLiveState();
  const agents = (useAgents().data?.agents ?? []).map((agent) => agent.id).filter((id) => !helpers.has(id));
  const remove = useDeleteSession();
  const navigate = useNavigate();
  const [choice, setChoice] = useState<ModeChoice>({
    mode: 'single',
    agent: 'auto',
    team: { agents: defaultTeam, resolve: 'judge', rounds: 2 },
  });
  if (session.error instanceof ApiError && session.error.status === 404)
    return (
      <div className="empty">
        <h2>No such chat</h2>
        <p>It was deleted, or never existed. Start a new chat from the list.</p>
      </div>
    );
  const view = session.data;
  const simulated = config.data?.simulated === true;
  return (
    <div
      className="chat-session"
      data-testid="chat-session"
      data-session-id={sessionId}
      data-live={live}
      data-active-turn={view?.activeTurn ?? ''}
    >
      <header className="chat-head">
        <h1>{view?.title ?? 'Chat'}</h1>
        <div className="actions small">
          {simulated && <span className="chat-simulated">simulated models</span>}
          <span className="muted">{view ? formatUsd(view.costUsd) : ''}</span>
          {view?.model && <span className="muted">model {view.model}</span>}
          <span className="muted" data-testid="live-state">
            {live === 'live' ? '● live' : live === 'offline' ? '○ reconnecting…' : '○ connecting…'}
          </span>
          <button
            type="button"
            className="button small danger"
            disabled={remove.isPending}
            onClick={() => {
              if (window.confirm('Delete this chat and its files?'))
                remove.mutate(sessionId, { onSuccess: () => void navigate('/chat') });
            }}
          >
            Delete
          </button>
        </div>
      </header>
      <ProblemAlert error={session.error} title="The chat could not be read" />
      <ProblemAlert error={remove.error} title="The chat was not deleted" />
      {view ? (
        <Conversation session={view} tokens={tokens} allSimulated={simulated} />
      ) : (
        <p className="muted chat-log" role="status">
          Loading…
        </p>
      )}
      <Composer
        key={sessionId}
        sessionId={sessionId}
        agents={agents}
        choice={choice}
        onChoice={setChoice}
        inFlight={view ? turnInFlight(view.messages) : false}
      />
    </div>
  );
}
