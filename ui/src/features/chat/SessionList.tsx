import { NavLink, useNavigate } from 'react-router';
import { useState } from 'react';
import { useChatSessions, useCreateSession } from '../../api/chat-queries';
import { formatUsd } from '../../components/format';
import { ProblemAlert } from '../../components/ProblemAlert';
import { useDebounced } from '../../components/use-debounced';

/** The sessions, newest activity first, searchable by title; and the way to start a new one. */
export function SessionList() {
  const [search, setSearch] = useState('');
  const q = useDebounced(search, 250);
  const sessions = useChatSessions(q);
  const create = useCreateSession();
  const navigate = useNavigate();
  const list = sessions.data?.sessions ?? [];
  return (
    <aside className="chat-sessions" aria-label="Chat sessions">
      <button
        type="button"
        className="button primary"
        disabled={create.isPending}
        onClick={() =>
          create.mutate({}, { onSuccess: ({ sessionId }) => void navigate(`/chat/${sessionId}`) })
        }
      >
        + New chat
      </button>
      <ProblemAlert error={create.error} title="The chat was not started" />
      <label>
        Search chats
        <input type="search" value={search} onChange={(event) => setSearch(event.target.value)} />
      </label>
      <ProblemAlert error={sessions.error} title="The chats could not be listed" />
      {sessions.isSuccess && list.length === 0 && (
        <p className="muted small">{q ? `No chat has "${q}" in its title.` : 'No chats yet.'}</p>
      )}
      <ul className="chat-session-list">
        {list.map((session) => (
          <li key={session.sessionId}>
            <NavLink to={`/chat/${session.sessionId}`} data-session-id={session.sessionId}>
              <span className="chat-session-title">{session.title}</span>
              <span className="small muted">
                {session.lastActivityAt ? new Date(session.lastActivityAt).toLocaleString() : ''}
                {session.costUsd > 0 && ` · ${formatUsd(session.costUsd)}`}
              </span>
            </NavLink>
          </li>
        ))}
      </ul>
    </aside>
  );
}
