/**
 * The chat API's bodies, as the server's zod schemas define them: types only, so zod stays out of the
 * bundle and nothing is hand-copied.
 */
import type { ChatDeltaEvent as ServerDelta } from '../../../src/api/chat-live';
import type { ChatSessionView, SessionSummary } from '../../../src/api/chat-sessions';

export type { ChatSessionView, SessionSummary };
export type {
  Attachment,
  ChatMode,
  TeamOutcome,
  TeamResolution,
  SendMessageInput,
} from '../../../src/engine/chat-types';
export type { ChatCommandInfo } from '../../../src/engine/chat-commands';

/** One entry of the conversation as the API shows it (a plan carries its YAML too). */
export type ChatEntryView = ChatSessionView['messages'][number];
/** A delta as the server sends it: the changed entries are views, like the snapshot's. */
export type ChatDelta = Omit<ServerDelta, 'messages'> & { messages: ChatEntryView[] };
export type ChatSubscribeAck = { ok: true; version: number } | { ok: false; error: string };
export type CommandReply = { command: string; ok: boolean; reply: string; usage?: string };
