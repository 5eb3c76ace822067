import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { applyChatDelta, applyChatTokens, keepRunning, newerSession } from './chat-cache';
import type { ChatDelta, ChatEntryView, ChatSessionView } from './chat-types';

const entry = (id: string, text: string, status: ChatEntryView['status'] = 'done'): ChatEntryView => ({
  id,
  role: id.startsWith('u') ? 'user' : 'assistant',
  turn: id,
  at: '2026-01-01T00:00:00.000Z',
  text,
  status,
});
const session = (version: number, messages: ChatEntryView[]): ChatSessionView => ({
  sessionId: 'chat-1',
  title: 'A chat',
  createdAt: '2026-01-01T00:00:00.000Z',
  lastActivityAt: '2026-01-01T00:00:00.000Z',
  costUsd: 0,
  version,
  status: 'open',
  queued: [],
  messages,
});

/** What the server sends between two states: the entries new or changed, whole. */
function diff(before: ChatSessionView, after: ChatSessionView): ChatDelta {
  const seen = new Map(before.messages.map((one) => [one.id, JSON.stringify(one)]));
  const { messages, ...rest } = after;
  return {
    sessionId: after.sessionId,
    from: before.version,
    version: after.version,
    session: rest,
    messages: messages.filter((one) => seen.get(one.id) !== JSON.stringify(one)),
    sentAt: 0,
  };
}

describe('live chat deltas', () => {
  it('adds new entries and replaces changed ones', () => {
    const before = session(1, [entry('u1', 'hi'), entry('a1', '', 'running')]);
    const after = session(2, [entry('u1', 'hi'), entry('a1', 'hello'), entry('u2', 'more')]);
    expect(applyChatDelta(before, diff(before, after))).toEqual(after);
  });

  it('answers undefined for a gap, and ignores a delta already applied', () => {
    const one = session(1, []);
    const three = session(3, [entry('u1', 'x')]);
    expect(applyChatDelta(one, { ...diff(one, three), from: 2 })).toBeUndefined();
    expect(applyChatDelta(three, diff(one, three))).toBe(three);
    expect(applyChatDelta(undefined, diff(one, three))).toBeUndefined();
  });

  it('keeps the newer of a REST answer and a live one', () => {
    const live = session(5, []);
    expect(newerSession(live, session(4, []))).toBe(live);
    const rest = session(6, []);
    expect(newerSession(live, rest)).toBe(rest);
  });

  it('reaches the last state from the first through every delta, for any history', () => {
    const texts = fc.array(fc.tuple(fc.integer({ min: 0, max: 5 }), fc.string({ maxLength: 4 })), {
      minLength: 1,
      maxLength: 12,
    });
    fc.assert(
      fc.property(texts, (edits) => {
        const states: ChatSessionView[] = [session(0, [])];
        for (const [slot, text] of edits) {
          const last = states.at(-1)!;
          const messages = [...last.messages];
          const id = `a${slot}`;
          const at = messages.findIndex((one) => one.id === id);
          if (at === -1) messages.push(entry(id, text));
          else messages[at] = entry(id, text);
          states.push(session(last.version + 1, messages));
        }
        let held: ChatSessionView | undefined = states[0];
        for (let index = 1; index < states.length; index += 1)
          held = applyChatDelta(held, diff(states[index - 1]!, states[index]!));
        expect(held).toEqual(states.at(-1));
      }),
    );
  });
});

const chunk = (offset: number, text: string, stream = 's1', done = false) => ({
  runId: 'chat-1',
  stepId: 'a1',
  stream,
  modelId: 'm',
  offset,
  text,
  done,
});

describe("an answer's streamed text", () => {
  it('appends chunks in order, and starts over for a new stream of the same message', () => {
    let tokens = applyChatTokens({}, chunk(0, 'Hel'));
    tokens = applyChatTokens(tokens, chunk(3, 'lo'));
    expect(tokens.a1).toMatchObject({ text: 'Hello', start: 0, end: 5 });
    tokens = applyChatTokens(tokens, chunk(0, 'Ret', 's2'));
    expect(tokens.a1).toMatchObject({ text: 'Ret', stream: 's2' });
  });

  it('adds only the new part of a chunk that repeats text held (the catch-up after a resubscribe)', () => {
    let tokens = applyChatTokens({}, chunk(0, 'Hello'));
    tokens = applyChatTokens(tokens, chunk(0, 'Hello, wor'));
    tokens = applyChatTokens(tokens, chunk(2, 'llo'));
    expect(tokens.a1?.text).toBe('Hello, wor');
  });

  it('keeps text after a gap behind a visible mark', () => {
    let tokens = applyChatTokens({}, chunk(0, 'Hello'));
    tokens = applyChatTokens(tokens, chunk(9, 'world'));
    expect(tokens.a1).toMatchObject({ text: 'Hello … world', end: 14 });
  });

  it('drops the text of answers a snapshot shows ended', () => {
    const tokens = applyChatTokens(applyChatTokens({}, chunk(0, 'x')), { ...chunk(0, 'y'), stepId: 'a2' });
    const kept = keepRunning(tokens, session(3, [entry('a1', '', 'running'), entry('a2', 'y')]));
    expect(Object.keys(kept)).toEqual(['a1']);
  });

  it('rebuilds the whole text from chunks that overlap and repeat, in order of their ends', () => {
    fc.assert(
      fc.property(
        fc.string({ minLength: 1, maxLength: 40 }),
        fc.array(fc.tuple(fc.nat(), fc.nat()), { minLength: 1, maxLength: 20 }),
        (text, cuts) => {
          // Chunks [from, to) whose ends never go back and whose starts never pass what was sent.
          let sent = 0;
          let tokens = applyChatTokens({}, chunk(0, text.slice(0, 1)));
          sent = 1;
          for (const [back, ahead] of cuts) {
            const from = Math.max(0, sent - (back % (sent + 1)));
            const to = Math.min(text.length, sent + (ahead % 5));
            tokens = applyChatTokens(tokens, chunk(from, text.slice(from, to)));
            sent = Math.max(sent, to);
          }
          tokens = applyChatTokens(tokens, chunk(sent, text.slice(sent)));
          expect(tokens.a1?.text).toBe(text);
        },
      ),
    );
  });
});
