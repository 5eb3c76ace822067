import type { ChatDelta, ChatSessionView } from './chat-types';
import type { TokenChunk } from './types';

/**
 * A session after a delta, or `undefined` when the delta does not follow the version held (a gap: the
 * caller subscribes again for a fresh snapshot). A delta already applied leaves the session as it is.
 */
export function applyChatDelta(
  session: ChatSessionView | undefined,
  delta: ChatDelta,
): ChatSessionView | undefined {
  if (!session) return undefined;
  if (delta.version <= session.version) return session;
  if (delta.from !== session.version) return undefined;
  const changed = new Map(delta.messages.map((entry) => [entry.id, entry]));
  const messages = session.messages.map((entry) => changed.get(entry.id) ?? entry);
  const known = new Set(session.messages.map((entry) => entry.id));
  for (const entry of delta.messages) if (!known.has(entry.id)) messages.push(entry);
  return { ...session, ...delta.session, messages };
}

/** The newer of two states of one session: a REST answer must not undo a live one. */
export function newerSession(current: ChatSessionView | undefined, next: ChatSessionView): ChatSessionView {
  return current && current.version > next.version ? current : next;
}

/** The text an answer's current stream has written so far, as far as the chunks seen tell. */
export type AnswerTokens = {
  stream: string;
  modelId: string;
  text: string;
  /** The stream's offsets this text covers: from `start` to `end` (text may mark a gap with "…"). */
  start: number;
  end: number;
  done: boolean;
};
export type ChatTokens = Record<string, AnswerTokens>;

const GAP = ' … ';

/**
 * Adds a chunk to the answers' text. A new stream for a message (a tool round, a retry after a crash)
 * starts over; a chunk overlapping what is held adds only its new part (the server's catch-up after a
 * resubscribe repeats text); a chunk past a gap (tokens sent while nobody listened) is kept after a
 * visible "…", and the recorded answer replaces it all once done.
 */
export function applyChatTokens(tokens: ChatTokens, chunk: TokenChunk): ChatTokens {
  const current = tokens[chunk.stepId];
  const chunkEnd = chunk.offset + chunk.text.length;
  if (!current || current.stream !== chunk.stream)
    return {
      ...tokens,
      [chunk.stepId]: {
        stream: chunk.stream,
        modelId: chunk.modelId,
        text: chunk.text,
        start: chunk.offset,
        end: chunkEnd,
        done: chunk.done,
      },
    };
  let { text, end } = current;
  if (chunk.offset > end) {
    text += GAP + chunk.text;
    end = chunkEnd;
  } else if (chunkEnd > end) {
    text += chunk.text.slice(end - chunk.offset);
    end = chunkEnd;
  } else if (!chunk.done || current.done) return tokens;
  return { ...tokens, [chunk.stepId]: { ...current, text, end, done: current.done || chunk.done } };
}

/** Only the answers still being written: what a fresh snapshot leaves of the text held. */
export function keepRunning(tokens: ChatTokens, session: ChatSessionView): ChatTokens {
  const running = new Set(session.messages.filter((e) => e.status === 'running').map((e) => e.id));
  return Object.fromEntries(Object.entries(tokens).filter(([id]) => running.has(id)));
}
