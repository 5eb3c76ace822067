import { useId, useState } from 'react';
import { useCancelTurn, useChatCommands, useSendMessage } from '../../api/chat-queries';
import type { Attachment } from '../../api/chat-types';
import { ProblemAlert } from '../../components/ProblemAlert';
import { AttachmentPicker } from './AttachmentPicker';
import { ModePicker, type ModeChoice } from './ModePicker';
import { SlashMenu } from './SlashMenu';
import { applySuggestion, slashSuggestions } from './slash-complete';
import { toSendBody } from './send-body';

type Props = {
  sessionId: string;
  agents: string[];
  choice: ModeChoice;
  onChoice: (choice: ModeChoice) => void;
  inFlight: boolean;
};

/** Writes a message: mode and agent, attachments, slash commands with autocomplete, send and stop. */
export function Composer({ sessionId, agents, choice, onChoice, inFlight }: Props) {
  const [draft, setDraft] = useState('');
  const [attached, setAttached] = useState<Attachment[]>([]);
  const [active, setActive] = useState(0);
  const [dismissed, setDismissed] = useState(false);
  const send = useSendMessage(sessionId);
  const cancel = useCancelTurn(sessionId);
  const commands = useChatCommands().data?.commands ?? [];
  const suggestions = dismissed ? [] : slashSuggestions(draft, commands);
  const menuId = useId();

  const submit = () => {
    const body = toSendBody(draft, choice, attached);
    if (!body) return;
    send.mutate(body, {
      onSuccess: () => {
        setDraft('');
        setAttached([]);
      },
    });
  };
  const pick = (index: number) => {
    const command = suggestions[index];
    if (!command) return;
    setDraft(applySuggestion(command));
    setActive(0);
  };
  const onKeyDown = (event: React.KeyboardEvent<HTMLTextAreaElement>) => {
    if (suggestions.length > 0) {
      if (event.key === 'ArrowDown' || event.key === 'ArrowUp') {
        event.preventDefault();
        const step = event.key === 'ArrowDown' ? 1 : -1;
        setActive((index) => (index + step + suggestions.length) % suggestions.length);
        return;
      }
      if (event.key === 'Tab' || (event.key === 'Enter' && !event.shiftKey)) {
        event.preventDefault();
        pick(active);
        return;
      }
      if (event.key === 'Escape') return setDismissed(true);
    }
    if (event.key === 'Enter' && !event.shiftKey) {
      event.preventDefault();
      submit();
    }
  };
  const activeCommand = suggestions[Math.min(active, suggestions.length - 1)];

  return (
    <form
      className="chat-composer"
      aria-label="Message"
      onSubmit={(event) => {
        event.preventDefault();
        submit();
      }}
    >
      <ModePicker value={choice} agents={agents} onChange={onChoice} />
      <div className="chat-draft">
        <SlashMenu
          id={menuId}
          suggestions={suggestions}
          active={active}
          onPick={(c) => pick(suggestions.indexOf(c))}
        />
        <textarea
          aria-label="Your message"
          role="combobox"
          aria-autocomplete="list"
          aria-expanded={suggestions.length > 0}
          aria-controls={menuId}
          {...(activeCommand && { 'aria-activedescendant': `${menuId}-${activeCommand.name}` })}
          rows={3}
          placeholder={placeholder(choice.mode)}
          value={draft}
          onChange={(event) => {
            setDraft(event.target.value);
            setDismissed(false);
            setActive(0);
          }}
          onKeyDown={onKeyDown}
        />
      </div>
      <div className="chat-send-row">
        <AttachmentPicker sessionId={sessionId} attached={attached} onChange={setAttached} />
        <div className="actions">
          {inFlight && (
            <button
              type="button"
              className="button danger"
              disabled={cancel.isPending}
              onClick={() => cancel.mutate()}
            >
              ■ Stop
            </button>
          )}
          <button
            type="submit"
            className="button primary"
            disabled={send.isPending || (!draft.trim() && attached.length === 0)}
          >
            Send
          </button>
        </div>
      </div>
      <ProblemAlert error={send.error} title="The message was not sent" />
      <ProblemAlert error={cancel.error} title="The turn was not stopped" />
    </form>
  );
}

function placeholder(mode: ModeChoice['mode']): string {
  if (mode === 'workflow') return 'Describe a goal; the planner proposes a workflow to approve';
  if (mode === 'team') return 'Ask the team; they answer side by side';
  return 'Ask an agent, or type / for commands (Enter sends, Shift+Enter breaks the line)';
}
