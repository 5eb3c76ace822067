import type { SendBody } from '../../api/chat-queries';
import type { Attachment } from '../../api/chat-types';
import type { ModeChoice } from './ModePicker';

/**
 * The body for a draft, or `undefined` while there is nothing to send. A slash command goes as it is
 * typed (the server parses it); a message carries its mode, agent or team, and its files' names.
 */
export function toSendBody(draft: string, choice: ModeChoice, attached: Attachment[]): SendBody | undefined {
  const text = draft.trim();
  if (!text && attached.length === 0) return undefined;
  const clientMessageId = newId();
  if (text.startsWith('/')) return { text, clientMessageId };
  const files = attached.length > 0 ? { attachments: attached.map((file) => file.name) } : {};
  if (choice.mode === 'team')
    return {
      text,
      mode: 'team',
      team: {
        agents: choice.team.agents,
        resolve: choice.team.resolve,
        ...(choice.team.resolve === 'debate' && { rounds: choice.team.rounds }),
      },
      ...files,
      clientMessageId,
    };
  if (choice.mode === 'workflow') return { text, mode: 'workflow', ...files, clientMessageId };
  return { text, mode: 'single', agent: choice.agent, ...files, clientMessageId };
}

/** randomUUID exists only in a secure context; the console may be served over plain HTTP on a LAN. */
function newId(): string {
  return (
    globalThis.crypto.randomUUID?.() ?? `${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}`
  );
}
