import { useParams } from 'react-router';
import { ChatSession } from './ChatSession';
import { SessionList } from './SessionList';
import './chat.css';

/** The chat page: the sessions on the side, the open conversation beside them. */
export default function ChatPage() {
  const { sessionId } = useParams();
  return (
    <section className="chat-page">
      <SessionList />
      <div className="chat-main">
        {sessionId ? (
          <ChatSession key={sessionId} sessionId={sessionId} />
        ) : (
          <div className="empty">
            <h1>Chat</h1>
            <p>
              Start a new chat to ask one agent, a team of agents, or to have a request planned and run as a
              workflow.
            </p>
          </div>
        )}
      </div>
    </section>
  );
}
