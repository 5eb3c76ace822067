import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { foldChunks, inOrder, keepOpenText, MAX_OPEN_TEXT } from './token-backlog';
import type { TokenChunk } from './token-stream';

const call = { runId: 'r', stepId: 'ask', modelId: 'm' };

/** One call's text cut into chunks at `cuts`, the last marked done. */
function chunksOf(stream: string, text: string, cuts: number[]): TokenChunk[] {
  const points = [...new Set([0, ...cuts.map((cut) => cut % (text.length + 1)), text.length])].sort(
    (a, b) => a - b,
  );
  const chunks: TokenChunk[] = [];
  for (let i = 0; i + 1 < points.length; i++) {
    const [from, to] = [points[i]!, points[i + 1]!];
    chunks.push({ ...call, stream, offset: from, text: text.slice(from, to), done: false });
  }
  chunks.push({ ...call, stream, offset: text.length, text: '', done: true });
  return chunks;
}

/** What a listener saw of each call from the first chunk it got, checked to join end to end. */
function joined(seen: TokenChunk[]): Map<string, { from: number; text: string; done: number }> {
  const calls = new Map<string, { from: number; text: string; done: number }>();
  for (const chunk of seen) {
    const so = calls.get(chunk.stream) ?? { from: chunk.offset, text: '', done: 0 };
    expect(chunk.offset, `${chunk.stream} continues where it ended`).toBe(so.from + so.text.length);
    so.text += chunk.text;
    if (chunk.done) so.done += 1;
    calls.set(chunk.stream, so);
  }
  return calls;
}

describe('token backlog', () => {
  it('gives a late subscriber each call once and in order, however the backlog and live chunks overlap', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.string({ minLength: 1, maxLength: 40 }), fc.array(fc.nat(), { maxLength: 6 })), {
          minLength: 1,
          maxLength: 3,
        }),
        fc.nat(),
        fc.nat(),
        (calls, splitAt, liveFrom) => {
          const all = calls.flatMap(([text, cuts], i) => chunksOf(`s${i}`, text, cuts));
          // The backlog holds the chunks up to `split`; live delivery starts earlier, at `from`.
          const split = splitAt % (all.length + 1);
          const from = Math.min(split, liveFrom % (split + 1));
          const seen: TokenChunk[] = [];
          const deliver = inOrder((chunk) => seen.push(chunk));
          for (const chunk of foldChunks(all.slice(0, split))) deliver(chunk);
          for (const chunk of all.slice(from)) deliver(chunk);
          const result = joined(seen);
          calls.forEach(([text], i) => {
            // A call that had ended by the backlog is only marked done; any other is seen whole.
            const endedBefore = all.slice(0, split).some((c) => c.stream === `s${i}` && c.done);
            const from0 = endedBefore ? text.length : 0;
            expect(result.get(`s${i}`)).toEqual({ from: from0, text: text.slice(from0), done: 1 });
          });
        },
      ),
    );
  });

  it('folds a call still streaming into its text so far, and a finished one into an empty done chunk', () => {
    const folded = foldChunks([
      ...chunksOf('a', 'hello world', [5]),
      ...chunksOf('b', 'still going', [3, 6]).slice(0, 2),
    ]);
    expect(folded).toEqual([
      { ...call, stream: 'b', offset: 0, text: 'still ', done: false },
      { ...call, stream: 'a', offset: 11, text: '', done: true },
    ]);
  });

  it('keeps only the last 64 KB of a long call, never splitting a surrogate pair', () => {
    const open = new Map<string, TokenChunk>();
    // The first 64 KB cut would fall between the two halves of the emoji.
    const text = 'x'.repeat(5) + '😀' + 'y'.repeat(MAX_OPEN_TEXT - 1);
    for (const chunk of chunksOf('a', text, [1000, 40_000, 65_000]).slice(0, -1)) keepOpenText(open, chunk);
    const kept = open.get('a')!;
    expect(kept.text.length).toBeLessThanOrEqual(MAX_OPEN_TEXT);
    expect(text.slice(kept.offset)).toBe(kept.text);
    expect(kept.offset).toBe(7);
    expect(kept.text.startsWith('y')).toBe(true);
  });
});
