import type { TokenChunk, TokenListener } from './token-stream';

/** The most of a call still streaming that is kept to catch a late subscriber up: its last 64 KB. */
export const MAX_OPEN_TEXT = 64 * 1024;

/**
 * Folds `chunk` into the text so far of its call, one chunk per call still streaming; a done call is
 * forgotten. A chunk that does not start where the call's text ends (a gap) starts the text afresh.
 */
export function keepOpenText(open: Map<string, TokenChunk>, chunk: TokenChunk): void {
  const seen = open.get(chunk.stream);
  if (chunk.done) {
    open.delete(chunk.stream);
    return;
  }
  if (!seen || seen.offset + seen.text.length !== chunk.offset) {
    open.set(chunk.stream, { ...chunk });
    return;
  }
  seen.text += chunk.text;
  let over = seen.text.length - MAX_OPEN_TEXT;
  // Never cut a UTF-16 surrogate pair in two.
  if (over > 0 && /[\uDC00-\uDFFF]/.test(seen.text.charAt(over))) over += 1;
  if (over > 0) {
    seen.text = seen.text.slice(over);
    seen.offset += over;
  }
}

/**
 * Joins a run's recorded chunks into one per call: the text so far of each call still streaming, and
 * an empty done chunk for each call that ended (so a listener knows not to wait for it).
 */
export function foldChunks(chunks: Iterable<TokenChunk>): TokenChunk[] {
  const open = new Map<string, TokenChunk>();
  const ended = new Map<string, TokenChunk>();
  for (const chunk of chunks) {
    if (ended.has(chunk.stream)) continue;
    if (chunk.done) {
      const seen = open.get(chunk.stream);
      const end = seen ? seen.offset + seen.text.length : chunk.offset;
      ended.set(chunk.stream, {
        ...chunk,
        offset: Math.max(end, chunk.offset + chunk.text.length),
        text: '',
      });
    }
    keepOpenText(open, chunk);
  }
  return [...open.values(), ...ended.values()];
}

/**
 * Wraps a listener so it sees each call's text once and in order, when the same chunks arrive twice
 * (a backlog read while live chunks come in): a chunk it has seen is dropped, one that overlaps is cut
 * to its new part, and a call's done chunk passes once.
 */
export function inOrder(listener: TokenListener): TokenListener {
  const ends = new Map<string, { end: number; done: boolean }>();
  return (chunk) => {
    const seen = ends.get(chunk.stream);
    const end = chunk.offset + chunk.text.length;
    if (!seen) {
      ends.set(chunk.stream, { end, done: chunk.done });
      listener(chunk);
      return;
    }
    if (seen.done || (end <= seen.end && !chunk.done)) return;
    const from = Math.max(seen.end, chunk.offset);
    seen.end = Math.max(seen.end, end);
    seen.done = chunk.done;
    listener({ ...chunk, offset: from, text: chunk.text.slice(from - chunk.offset) });
  };
}
