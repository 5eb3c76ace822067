import type { ChatEntryView } from '../../api/chat-types';
import type { AnswerTokens } from '../../api/chat-cache';
import { EntryMeta } from './EntryMeta';
import { Markdown } from './Markdown';

type Props = { entry: ChatEntryView; tokens: AnswerTokens | undefined; simulated: boolean };

/**
 * One message: the user's, an agent's answer (its text streaming in while it is written), or a
 * command's answer. `data-status` tells tests and styles where it is.
 */
export function EntryBubble({ entry, tokens, simulated }: Props) {
  const streaming = entry.status === 'running';
  const text = streaming ? (tokens?.text ?? entry.text) : entry.text;
  return (
    <article
      className={`chat-bubble chat-${entry.role}`}
      data-entry-id={entry.id}
      data-role={entry.role}
      data-status={entry.status}
      aria-busy={streaming}
      aria-label={label(entry)}
    >
      {entry.role === 'assistant' && <EntryMeta entry={entry} simulated={simulated} />}
      {entry.why && (
        <p className="chat-why small muted" data-testid="why">
          {entry.why}
        </p>
      )}
      {entry.role === 'command' ? (
        <pre className="chat-command-reply">{text}</pre>
      ) : entry.role === 'user' ? (
        <p className="chat-user-text">{text}</p>
      ) : (
        <div data-testid="answer-text">
          <Markdown text={text} />
        </div>
      )}
      {streaming && !text && <p className="muted small">thinking…</p>}
      {entry.attachments && entry.attachments.length > 0 && (
        <ul className="chat-attached small" aria-label="Attached files">
          {entry.attachments.map((file) => (
            <li key={file.name}>
              {file.name} <span className="muted">({file.kind})</span>
            </li>
          ))}
        </ul>
      )}
      {entry.toolCalls && entry.toolCalls.length > 0 && (
        <p className="small muted">
          tools: {entry.toolCalls.map((call) => `${call.tool}${call.ok ? '' : ' (failed)'}`).join(', ')}
        </p>
      )}
      {entry.status === 'cancelled' && <p className="small muted">Stopped.</p>}
      {entry.status === 'queued' && <p className="small muted">Queued.</p>}
      {entry.error && (
        <p className="chat-error small" role="alert">
          {entry.error}
        </p>
      )}
    </article>
  );
}

function label(entry: ChatEntryView): string {
  if (entry.role === 'user') return 'You';
  if (entry.role === 'command') return 'Command answer';
  return entry.agent ? `Answer from ${entry.agent}` : 'Answer';
}
