import { io, type Socket } from 'socket.io-client';
import type { ChatDeltaEvent } from '../../src/api/chat-live';
import type { ChatSessionView } from '../../src/api/chat-sessions';
import type { ChatSnapshot } from '../../src/engine/chat-types';
import type { TokenChunk } from '../../src/models/token-stream';
import { postJson, waitUntil } from '../helpers/harness';

export async function createSession(baseUrl: string, body: Record<string, unknown> = {}): Promise<string> {
  const created = await postJson(`${baseUrl}/api/chat/sessions`, body);
  if (created.status !== 201) throw new Error(`could not create a session: ${JSON.stringify(created.body)}`);
  return created.body.sessionId as string;
}

export async function readSession(baseUrl: string, sessionId: string): Promise<ChatSessionView> {
  const response = await fetch(`${baseUrl}/api/chat/sessions/${sessionId}`);
  if (!response.ok) throw new Error(`GET session ${sessionId}: ${response.status} ${await response.text()}`);
  return (await response.json()) as ChatSessionView;
}

/** Polls the session until `until` holds, and answers it. */
export async function waitForSession(
  baseUrl: string,
  sessionId: string,
  until: (session: ChatSessionView) => boolean,
  { timeoutMs = 60_000, what = 'the session' } = {},
): Promise<ChatSessionView> {
  let last: ChatSessionView | undefined;
  await waitUntil(
    async () => {
      last = await readSession(baseUrl, sessionId).catch(() => undefined);
      return last !== undefined && until(last);
    },
    { timeoutMs, everyMs: 150, what: `${what}; last: ${JSON.stringify(last?.messages ?? []).slice(-1500)}` },
  );
  return last as ChatSessionView;
}

/** The entries answering a user message. */
export const answersTo = (session: ChatSessionView, turn: string): ChatSessionView['messages'] =>
  session.messages.filter((entry) => entry.turn === turn && entry.id !== turn);

export const turnDone = (turn: string) => (session: ChatSnapshot) =>
  ['done', 'failed', 'cancelled'].includes(session.messages.find((entry) => entry.id === turn)?.status ?? '');

/** A Socket.IO client watching one session: its snapshot, deltas and tokens. */
export async function watchSession(baseUrl: string, sessionId: string) {
  const socket: Socket = io(baseUrl, { transports: ['websocket'], reconnection: false });
  const seen = {
    snapshots: [] as { version: number; session: ChatSnapshot }[],
    deltas: [] as ChatDeltaEvent[],
    tokens: [] as (TokenChunk & { at: number })[],
  };
  socket.on('chat:snapshot', (event: { version: number; session: ChatSnapshot }) =>
    seen.snapshots.push(event),
  );
  socket.on('chat:delta', (event: ChatDeltaEvent) => seen.deltas.push(event));
  socket.on('chat:tokens', (chunk: TokenChunk) => seen.tokens.push({ ...chunk, at: Date.now() }));
  await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
  const ack = (await socket.timeout(15_000).emitWithAck('chat:subscribe', { sessionId })) as {
    ok: boolean;
    error?: string;
  };
  if (!ack.ok) throw new Error(`chat:subscribe failed: ${ack.error}`);
  return { socket, seen, close: () => socket.close() };
}

/** The text of a message as its tokens told it, stream by stream (a retried call starts a new one). */
export function streamedText(tokens: TokenChunk[], messageId: string): string[] {
  const streams = new Map<string, string>();
  for (const chunk of tokens.filter((token) => token.stepId === messageId))
    streams.set(chunk.stream, (streams.get(chunk.stream) ?? '') + chunk.text);
  return [...streams.values()];
}
