import type { Client } from '@temporalio/client';
import type { Server } from 'socket.io';
import { z } from 'zod';
import { ChatEntry, ChatSnapshot } from '../engine/chat-types';
import type { TokenBus } from '../models/token-stream';
import { readSession, type ChatSessionView } from './chat-sessions';
import { historyChanges } from './history-changes';
import { watchLive } from './live-watcher';

/** Client -> server: watch a session (`chat:subscribe`) or stop (`chat:unsubscribe`); both are acknowledged. */
export const ChatSubscribeRequest = z.strictObject({ sessionId: z.string().min(1).max(200) });

export const ChatLiveEvent = {
  Subscribe: 'chat:subscribe',
  Unsubscribe: 'chat:unsubscribe',
  /** Server -> client, first after a subscribe: the whole session at `version`. */
  Snapshot: 'chat:snapshot',
  /** Server -> client: what changed since `from`; `from` is the previous message's `version`. */
  Delta: 'chat:delta',
  /** Server -> client: an answer's text as the model writes it (a TokenChunk; `stepId` is the message id). */
  Tokens: 'chat:tokens',
} as const;

export const ChatSnapshotEvent = z.object({ sessionId: z.string(), version: z.int(), session: ChatSnapshot });
export const ChatDeltaEvent = z.object({
  sessionId: z.string(),
  from: z.int(),
  version: z.int(),
  session: ChatSnapshot.omit({ messages: true }),
  /** Only the messages that are new or changed, whole. */
  messages: z.array(ChatEntry),
  sentAt: z.number(),
});
export type ChatDeltaEvent = z.infer<typeof ChatDeltaEvent>;

/** The delta between two snapshots of one session. */
export function diffSession(before: ChatSessionView, after: ChatSessionView): ChatDeltaEvent {
  const previous = new Map(before.messages.map((entry) => [entry.id, JSON.stringify(entry)]));
  const { messages, ...session } = after;
  return {
    sessionId: after.sessionId,
    from: before.version,
    version: after.version,
    session,
    messages: messages.filter((entry) => previous.get(entry.id) !== JSON.stringify(entry)),
    sentAt: Date.now(),
  };
}

/**
 * Live chat over the runs' Socket.IO server, by the runs' rule and watcher (src/api/live-watcher.ts):
 * a snapshot first, then deltas that chain on `version`, read from the session's query once per
 * completed workflow task of its history, only while someone watches; answers' tokens come from the token bus (the session id is the bus's run id), and a
 * late subscriber gets each open answer's text so far.
 */
export function attachChatLive(
  io: Server,
  { client, maxSubscriptions, tokens }: { client: Client; maxSubscriptions: number; tokens?: TokenBus },
): { close: () => void } {
  return watchLive<ChatSessionView, ChatDeltaEvent>(
    io,
    {
      prefix: 'chat',
      events: {
        subscribe: ChatLiveEvent.Subscribe,
        unsubscribe: ChatLiveEvent.Unsubscribe,
        snapshot: ChatLiveEvent.Snapshot,
        delta: ChatLiveEvent.Delta,
        tokens: ChatLiveEvent.Tokens,
      },
      request: ChatSubscribeRequest,
      idOf: (request) => String(request.sessionId),
      usage: 'send {sessionId: string}',
      read: (sessionId) => readSession(client, sessionId),
      diff: diffSession,
      snapshotEvent: (sessionId, session) => ({ sessionId, version: session.version, session }),
      finished: (delta) => delta.messages.filter(({ status }) => status !== 'running').map(({ id }) => id),
      unreadable: 'cannot read the session',
    },
    { changes: historyChanges(client), maxSubscriptions, ...(tokens && { tokens }) },
  );
}
