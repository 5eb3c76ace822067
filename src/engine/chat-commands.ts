/**
 * The chat's slash commands: what each is called, how it is written, and a parser that turns a line
 * into a command or a usage line. Pure, so the API, the CLI and the UI's autocomplete share it.
 */

export type ChatCommandInfo = { name: string; usage: string; description: string };

export const chatCommands = [
  { name: 'run', usage: '/run <spec> [input JSON]', description: 'Start a run of a saved or shipped spec' },
  { name: 'plan', usage: '/plan <goal>', description: 'Ask the planner for a plan you can approve' },
  { name: 'agents', usage: '/agents', description: 'List the agents and what they do' },
  { name: 'status', usage: '/status [runId]', description: "A run's status, or this chat's runs" },
  {
    name: 'approve',
    usage: '/approve <runId> <stepId> [comment]',
    description: 'Approve a step that waits for a human',
  },
  {
    name: 'reject',
    usage: '/reject <runId> <stepId> [comment]',
    description: 'Reject a step that waits for a human',
  },
  { name: 'cancel', usage: '/cancel <runId>', description: 'Cancel a run' },
  {
    name: 'schedule',
    usage: '/schedule <spec> every <interval>|cron <expr>',
    description: 'Run a saved spec on a schedule, e.g. every 1h or cron 0 9 * * 1-5',
  },
  {
    name: 'model',
    usage: '/model <name>',
    description: "Pin this chat's model (or auto to let the router pick)",
  },
  { name: 'help', usage: '/help', description: 'List the commands' },
] as const satisfies readonly ChatCommandInfo[];

export type ChatCommandName = (typeof chatCommands)[number]['name'];

export type ChatCommand =
  | { name: 'run'; spec: string; input: Record<string, unknown> }
  | { name: 'plan'; goal: string }
  | { name: 'agents' }
  | { name: 'status'; runId?: string }
  | { name: 'approve' | 'reject'; runId: string; stepId: string; comment?: string }
  | { name: 'cancel'; runId: string }
  | { name: 'schedule'; spec: string; every: string }
  | { name: 'schedule'; spec: string; cron: string }
  | { name: 'model'; model: string }
  | { name: 'help' };

export type ParsedCommand =
  { ok: true; command: ChatCommand } | { ok: false; name: string; error: string; usage: string };

const RUN_ID = /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,199}$/;
const SPEC_NAME = /^[A-Za-z0-9_.-]{1,100}$/;
const STEP_ID = /^[A-Za-z0-9_][A-Za-z0-9_-]{0,99}$/;
const MODEL = /^[A-Za-z0-9][A-Za-z0-9_.:/@-]{0,199}$/;
const INTERVAL = /^\d{1,6}(ms|s|m|h|d)$/;
const CRON_FIELD = /^[0-9A-Za-z*/,?#LW-]{1,40}$/;

/** The usage line of a command, for errors and /help. */
export function usageOf(name: string): string {
  return chatCommands.find((command) => command.name === name)?.usage ?? '/help';
}

/** Whether a message is a slash command (and so never reaches an agent as text). */
export function isChatCommand(text: string): boolean {
  return /^\/[A-Za-z]/.test(text.trimStart());
}

/** Splits off the first word: `[word, rest]`, the rest trimmed. */
function firstWord(text: string): [string, string] {
  const match = /^(\S+)\s*([\s\S]*)$/.exec(text.trim());
  return match ? [match[1] ?? '', (match[2] ?? '').trim()] : ['', ''];
}

/**
 * Parses a slash command. Answers undefined for text that is not one, a command for a good one, and
 * for a bad one the reason and its usage line, so the chat can answer with both.
 */
export function parseChatCommand(text: string): ParsedCommand | undefined {
  if (!isChatCommand(text)) return undefined;
  const [head, rest] = firstWord(text.trimStart().slice(1));
  const name = head.toLowerCase();
  const bad = (error: string): ParsedCommand => ({ ok: false, name, error, usage: usageOf(name) });
  const good = (command: ChatCommand): ParsedCommand => ({ ok: true, command });
  const words = rest ? rest.split(/\s+/) : [];
  switch (name) {
    case 'run': {
      const [spec, input] = firstWord(rest);
      if (!spec) return bad('name the spec to run');
      if (!SPEC_NAME.test(spec)) return bad(`"${spec}" is not a spec name (letters, digits, _, . and -)`);
      if (!input) return good({ name, spec, input: {} });
      const parsed = parseObject(input);
      return parsed
        ? good({ name, spec, input: parsed })
        : bad('the input must be a JSON object, e.g. {"name": "world"}');
    }
    case 'plan':
      return rest ? good({ name, goal: rest }) : bad('say what the plan should achieve');
    case 'agents':
    case 'help':
      return words.length === 0 ? good({ name }) : bad(`/${name} takes no arguments`);
    case 'status':
      if (words.length > 1) return bad('give at most one run id');
      if (words[0] === undefined) return good({ name });
      return RUN_ID.test(words[0]) ? good({ name, runId: words[0] }) : bad(`"${words[0]}" is not a run id`);
    case 'cancel':
      if (words.length !== 1 || words[0] === undefined) return bad('give exactly one run id');
      return RUN_ID.test(words[0]) ? good({ name, runId: words[0] }) : bad(`"${words[0]}" is not a run id`);
    case 'approve':
    case 'reject': {
      const [runId, afterRun] = firstWord(rest);
      const [stepId, comment] = firstWord(afterRun);
      if (!runId || !stepId) return bad('give the run id and the step id');
      if (!RUN_ID.test(runId)) return bad(`"${runId}" is not a run id`);
      if (!STEP_ID.test(stepId)) return bad(`"${stepId}" is not a step id`);
      if (comment.length > 4000) return bad('the comment is longer than 4000 characters');
      return good({ name, runId, stepId, ...(comment && { comment }) });
    }
    case 'schedule': {
      const [spec, timing] = firstWord(rest);
      const [how, what] = firstWord(timing);
      if (!spec || !how) return bad('name the spec and when it runs');
      if (!SPEC_NAME.test(spec)) return bad(`"${spec}" is not a spec name (letters, digits, _, . and -)`);
      if (how === 'every') {
        return INTERVAL.test(what)
          ? good({ name, spec, every: what })
          : bad(`"${what}" is not an interval like 30s, 15m, 1h or 1d`);
      }
      if (how === 'cron') {
        const fields = what.split(/\s+/);
        const valid =
          (fields.length === 5 || fields.length === 6) && fields.every((field) => CRON_FIELD.test(field));
        return valid
          ? good({ name, spec, cron: fields.join(' ') })
          : bad(`"${what}" is not a cron expression of 5 fields`);
      }
      return bad(`after the spec comes "every <interval>" or "cron <expr>", not "${how}"`);
    }
    case 'model':
      if (words.length !== 1 || words[0] === undefined) return bad('name one model, or auto');
      return MODEL.test(words[0])
        ? good({ name, model: words[0] })
        : bad(`"${words[0]}" is not a model name`);
    default:
      return {
        ok: false,
        name,
        error: `there is no command /${name}; commands: ${chatCommands.map((command) => `/${command.name}`).join(' ')}`,
        usage: usageOf('help'),
      };
  }
}

function parseObject(text: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

/** A command written back as text; parsing it gives the same command (the property tests hold it). */
export function formatChatCommand(command: ChatCommand): string {
  switch (command.name) {
    case 'run':
      return Object.keys(command.input).length > 0
        ? `/run ${command.spec} ${JSON.stringify(command.input)}`
        : `/run ${command.spec}`;
    case 'plan':
      return `/plan ${command.goal}`;
    case 'status':
      return command.runId ? `/status ${command.runId}` : '/status';
    case 'approve':
    case 'reject':
      return [`/${command.name}`, command.runId, command.stepId, command.comment].filter(Boolean).join(' ');
    case 'cancel':
      return `/cancel ${command.runId}`;
    case 'schedule':
      return 'every' in command
        ? `/schedule ${command.spec} every ${command.every}`
        : `/schedule ${command.spec} cron ${command.cron}`;
    case 'model':
      return `/model ${command.model}`;
    default:
      return `/${command.name}`;
  }
}
