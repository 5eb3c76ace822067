import type { ChatMessage } from '../models/provider-adapter';
import {
  EntryRole,
  EntryStatus,
  SendMessageRequest,
  type Attachment,
  type ChatEntry,
  type ChatSnapshot,
} from './chat-types';

/** Entries kept in the workflow's state; older ones live on only in the summary. */
export const MAX_KEPT_ENTRIES = 400;
const defaultTitle = 'New chat';

/** What a session carries across continue-as-new, and what a new session starts from. */
export type CarriedChat = {
  sessionId: string;
  title: string;
  createdAt: string;
  lastActivityAt: string;
  costUsd: number;
  version: number;
  nextId: number;
  model?: string;
  deleted?: boolean;
  summary?: { text: string; upTo: string };
  messages: ChatEntry[];
  queued: string[];
  /** Recent outcomes per agent in this session (newest last), for auto mode. */
  outcomes: Record<string, boolean[]>;
};

export class ChatValidationError extends Error {
  override name = 'ChatValidationError';
}

/** Describes the attached files to the agent: where they are, so its file tools can read them. */
export function attachmentNote(attachments: Attachment[]): string {
  if (attachments.length === 0) return '';
  const lines = attachments.map(
    (file) =>
      `- ${file.path} (${file.kind}, ${file.mediaType}, ${file.size} bytes${file.textPath ? `; its text is in ${file.textPath}` : ''})`,
  );
  return `\n\nAttached files, in your workspace (read them with read_file):\n${lines.join('\n')}`;
}

/** A title from the first message: its first line, cut at a word near 60 characters. */
export function titleFrom(text: string): string {
  const line = text.trim().split('\n')[0] ?? '';
  if (line.length <= 60) return line || defaultTitle;
  const cut = line.slice(0, 60);
  return `${cut.slice(0, cut.lastIndexOf(' ') > 30 ? cut.lastIndexOf(' ') : 60)}…`;
}

/**
 * A chat session's state: the conversation, the queue of messages waiting for an answer, cost and
 * the summary of older turns. Pure, so the workflow stays thin and this is tested without Temporal.
 */
export class ChatSession {
  private state: CarriedChat;

  constructor(carried: CarriedChat) {
    this.state = clone(carried);
  }

  get sessionId(): string {
    return this.state.sessionId;
  }

  get version(): number {
    return this.state.version;
  }

  get costUsd(): number {
    return this.state.costUsd;
  }

  get title(): string {
    return this.state.title;
  }

  get lastActivityAt(): string {
    return this.state.lastActivityAt;
  }

  get model(): string | undefined {
    return this.state.model;
  }

  get deleted(): boolean {
    return this.state.deleted === true;
  }

  get hasQueued(): boolean {
    return this.state.queued.length > 0;
  }

  /** Checks a message before it is accepted: anything wrong is refused before history records it. */
  validate(raw: unknown, knownAgents: ReadonlySet<string>): SendMessageRequest {
    if (this.deleted) throw new ChatValidationError(`session ${this.sessionId} was deleted`);
    const parsed = SendMessageRequest.safeParse(raw);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new ChatValidationError(`${issue?.path.join('.') || 'message'}: ${issue?.message ?? 'invalid'}`);
    }
    const request = parsed.data;
    const named = [
      ...(request.mode === 'single' && request.agent !== 'auto' ? [request.agent] : []),
      ...(request.mode === 'team' ? (request.team?.agents ?? []) : []),
    ];
    const unknown = named.filter((agent) => !knownAgents.has(agent));
    if (unknown.length > 0) {
      throw new ChatValidationError(
        `unknown agent${unknown.length > 1 ? 's' : ''} ${unknown.join(', ')}; known: ${[...knownAgents].join(', ')}`,
      );
    }
    if (request.mode === 'team' && new Set(request.team?.agents).size !== request.team?.agents.length)
      throw new ChatValidationError('team.agents names an agent twice');
    if (
      request.clientMessageId &&
      this.state.messages.some((entry) => entry.id === `u-${request.clientMessageId}`)
    )
      throw new ChatValidationError(`message ${request.clientMessageId} was already sent`);
    return request;
  }

  /** Adds a user message and queues it for an answer. */
  accept(request: SendMessageRequest, now: Date): ChatEntry {
    const id = request.clientMessageId ? `u-${request.clientMessageId}` : this.newId('u');
    const entry: ChatEntry = {
      id,
      role: EntryRole.User,
      turn: id,
      at: now.toISOString(),
      text: request.text,
      status: EntryStatus.Queued,
      mode: request.mode,
      ...(request.mode === 'single' && { agent: request.agent }),
      ...(request.mode === 'team' && request.team && { teamRequest: request.team }),
      ...(request.attachments.length > 0 && { attachments: request.attachments }),
    };
    if (
      this.state.title === defaultTitle &&
      this.state.messages.every((message) => message.role !== EntryRole.User)
    )
      this.state.title = titleFrom(request.text || request.attachments[0]?.name || '');
    this.push(entry, now);
    this.state.queued.push(id);
    return entry;
  }

  /** The next queued user message, now being answered. */
  takeNext(now: Date): ChatEntry | undefined {
    const id = this.state.queued.shift();
    if (id === undefined) return undefined;
    this.update(id, { status: EntryStatus.Running }, now);
    return this.entry(id);
  }

  /** Adds an entry that answers `turn` (a reply, a plan, a run, a command's answer). */
  add(fields: Omit<ChatEntry, 'id' | 'at'>, now: Date): ChatEntry {
    const entry: ChatEntry = { id: this.newId(fields.role.slice(0, 1)), at: now.toISOString(), ...fields };
    this.push(entry, now);
    return entry;
  }

  update(id: string, patch: Partial<ChatEntry>, now: Date): ChatEntry {
    const index = this.state.messages.findIndex((entry) => entry.id === id);
    const entry = this.state.messages[index];
    if (!entry) throw new ChatValidationError(`no message ${id} in session ${this.sessionId}`);
    const next = { ...entry, ...patch };
    this.state.messages[index] = next;
    this.touch(now);
    return next;
  }

  entry(id: string): ChatEntry | undefined {
    return this.state.messages.find((entry) => entry.id === id);
  }

  /** Records what an answer cost and how the agent did, for the session's cost and auto mode. */
  record(agent: string, ok: boolean, costUsd: number): void {
    this.state.costUsd += costUsd;
    const outcomes = (this.state.outcomes[agent] ??= []);
    outcomes.push(ok);
    if (outcomes.length > 10) outcomes.shift();
  }

  get outcomes(): Record<string, boolean[]> {
    return this.state.outcomes;
  }

  setModel(model: string | undefined, now: Date): void {
    if (model === undefined) delete this.state.model;
    else this.state.model = model;
    this.touch(now);
  }

  setSummary(summary: { text: string; upTo: string }, now: Date): void {
    this.state.summary = summary;
    this.touch(now);
  }

  markDeleted(now: Date): void {
    this.state.deleted = true;
    for (const id of this.state.queued) this.update(id, { status: EntryStatus.Cancelled }, now);
    this.state.queued = [];
    this.touch(now);
  }

  /** Cancels queued messages that have not started: the stop button empties the queue too. */
  cancelQueued(now: Date): string[] {
    const cancelled = this.state.queued;
    for (const id of cancelled) this.update(id, { status: EntryStatus.Cancelled }, now);
    this.state.queued = [];
    return cancelled;
  }

  /**
   * What the model sees for a turn: the summary of older turns, then every finished entry after it up
   * to the turn's own message. Replies of other agents and run outcomes are the assistant's words.
   */
  context(turn: string): { summary?: string; messages: ChatMessage[]; upTo?: string } {
    const start = this.state.summary
      ? this.state.messages.findIndex((entry) => entry.id === this.state.summary?.upTo) + 1
      : 0;
    const end = this.state.messages.findIndex((entry) => entry.id === turn);
    const messages: ChatMessage[] = [];
    for (const entry of this.state.messages.slice(start, end + 1)) {
      if (entry.role === EntryRole.User) {
        messages.push({ role: 'user', content: entry.text + attachmentNote(entry.attachments ?? []) });
      } else if (entry.status === EntryStatus.Done && entry.turn !== turn && entry.text) {
        messages.push({ role: 'assistant', content: entry.text });
      }
    }
    return { ...(this.state.summary && { summary: this.state.summary.text }), messages };
  }

  /** The entries a summary of everything before `keepFrom` would cover, for the context window. */
  entryIdBefore(count: number, turn: string): string | undefined {
    const end = this.state.messages.findIndex((entry) => entry.id === turn);
    return this.state.messages[Math.max(0, end - count)]?.id;
  }

  carry(): CarriedChat {
    return clone(this.state);
  }

  snapshot(activeTurn?: string): ChatSnapshot {
    const {
      sessionId,
      title,
      createdAt,
      lastActivityAt,
      costUsd,
      version,
      model,
      summary,
      messages,
      queued,
    } = this.state;
    return {
      sessionId,
      title,
      createdAt,
      lastActivityAt,
      costUsd,
      version,
      status: this.deleted ? 'deleted' : 'open',
      ...(model && { model }),
      ...(activeTurn && { activeTurn }),
      queued: [...queued],
      ...(summary && { summary }),
      messages: clone(messages),
    };
  }

  private newId(prefix: string): string {
    this.state.nextId += 1;
    return `${prefix}${this.state.nextId}`;
  }

  private push(entry: ChatEntry, now: Date): void {
    this.state.messages.push(entry);
    if (this.state.messages.length > MAX_KEPT_ENTRIES) this.state.messages.shift();
    this.touch(now);
  }

  private touch(now: Date): void {
    this.state.version += 1;
    this.state.lastActivityAt = now.toISOString();
  }
}

/** A deep copy of plain JSON state (the workflow sandbox has no structuredClone). */
function clone<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}

/** A new session's state. */
export function newChat(
  sessionId: string,
  now: Date,
  { title, model }: { title?: string; model?: string } = {},
): CarriedChat {
  return {
    sessionId,
    title: title ?? defaultTitle,
    createdAt: now.toISOString(),
    lastActivityAt: now.toISOString(),
    costUsd: 0,
    version: 1,
    nextId: 0,
    ...(model && { model }),
    messages: [],
    queued: [],
    outcomes: {},
  };
}
