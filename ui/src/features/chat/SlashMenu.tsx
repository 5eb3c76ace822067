import type { ChatCommandInfo } from '../../api/chat-types';

type Props = {
  id: string;
  suggestions: ChatCommandInfo[];
  active: number;
  onPick: (command: ChatCommandInfo) => void;
};

/** The commands the draft could be starting, as a listbox the textarea controls. */
export function SlashMenu({ id, suggestions, active, onPick }: Props) {
  if (suggestions.length === 0) return null;
  return (
    <ul className="chat-slash" id={id} role="listbox" aria-label="Commands">
      {suggestions.map((command, index) => (
        <li
          key={command.name}
          id={`${id}-${command.name}`}
          role="option"
          aria-selected={index === active}
          className={index === active ? 'active' : undefined}
          // Keeps the focus in the textarea: a click picks without blurring it.
          onMouseDown={(event) => {
            event.preventDefault();
            onPick(command);
          }}
        >
          <code>{command.usage}</code> <span className="muted small">{command.description}</span>
        </li>
      ))}
    </ul>
  );
}
