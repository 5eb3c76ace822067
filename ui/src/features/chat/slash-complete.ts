import type { ChatCommandInfo } from '../../api/chat-types';

/**
 * The commands a draft could be starting: only while it is one word after a slash (no space yet),
 * matching the name's beginning first, then anywhere in it.
 */
export function slashSuggestions(draft: string, commands: ChatCommandInfo[]): ChatCommandInfo[] {
  const match = /^\/(\S*)$/.exec(draft);
  if (!match) return [];
  const typed = (match[1] ?? '').toLowerCase();
  const starts = commands.filter((command) => command.name.startsWith(typed));
  const inside = commands.filter(
    (command) => !command.name.startsWith(typed) && command.name.includes(typed),
  );
  return [...starts, ...inside];
}

/** The draft once a suggestion is taken: the command and a space, ready for its arguments. */
export function applySuggestion(command: ChatCommandInfo): string {
  return command.usage.includes(' ') ? `/${command.name} ` : `/${command.name}`;
}
