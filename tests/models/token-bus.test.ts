import { randomUUID } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { openTokenBus, tokenWriter, type TokenBus, type TokenChunk } from '../../src/models/token-stream';

const redisUrl = 'redis://127.0.0.1:6379';
const buses: TokenBus[] = [];

afterAll(async () => {
  await Promise.all(buses.map((bus) => bus.close()));
});

type Writer = ReturnType<typeof tokenWriter>;

/** Writes `words` one by one, as a model call streams them. */
async function stream(writer: Writer, words: string[]): Promise<void> {
  for (const word of words) {
    writer.write(`${word} `);
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}

const writerFor = (bus: TokenBus, runId: string) =>
  tokenWriter(bus, { runId, stepId: 'ask', modelId: 'm' }, 5);

/** Waits until `seen` has a done chunk, and joins what came, checking each chunk continues the last. */
async function joinedWhenDone(seen: TokenChunk[]): Promise<string> {
  for (let i = 0; i < 200 && !seen.some((chunk) => chunk.done); i++)
    await new Promise((resolve) => setTimeout(resolve, 25));
  let text = '';
  for (const chunk of seen) {
    expect(chunk.offset, 'each chunk starts where the last one ended').toBe(text.length);
    text += chunk.text;
  }
  expect(seen.at(-1)?.done).toBe(true);
  return text;
}

const words = Array.from({ length: 120 }, (_, i) => `w${i}`);

describe.each([
  [
    'Redis, a worker and an API in two processes',
    () => Promise.all([openTokenBus(redisUrl), openTokenBus(redisUrl)]),
  ],
  ['one process', async () => Promise.all([openTokenBus(undefined), openTokenBus(undefined)])],
])('the token bus over %s', (_name, open) => {
  it('catches a subscriber that arrives mid-call up from the first token, then follows live', async () => {
    const [worker, api] = await open();
    buses.push(worker, api);
    const runId = `late-${randomUUID()}`;
    const writer = writerFor(worker, runId);
    await stream(writer, words.slice(0, 60));
    const seen: TokenChunk[] = [];
    const stop = await api.subscribe(runId, (chunk) => seen.push(chunk));
    await stream(writer, words.slice(60));
    writer.end();
    try {
      expect(await joinedWhenDone(seen)).toBe(words.map((word) => `${word} `).join(''));
      expect(seen.filter((chunk) => chunk.done)).toHaveLength(1);
    } finally {
      stop();
    }
  });

  it('sends a subscriber nothing of another run', async () => {
    const [worker, api] = await open();
    buses.push(worker, api);
    const seen: TokenChunk[] = [];
    const stop = await api.subscribe(`quiet-${randomUUID()}`, (chunk) => seen.push(chunk));
    const writer = writerFor(worker, `busy-${randomUUID()}`);
    await stream(writer, words.slice(0, 10));
    writer.end();
    await new Promise((resolve) => setTimeout(resolve, 200));
    stop();
    expect(seen).toEqual([]);
  });
});

describe('a model call’s token writer', () => {
  it('sends the first text at once and batches what follows until the flush interval', async () => {
    const bus = await openTokenBus(undefined);
    buses.push(bus);
    const runId = `first-${randomUUID()}`;
    const seen: TokenChunk[] = [];
    const stop = await bus.subscribe(runId, (chunk) => seen.push(chunk));
    try {
      const writer = tokenWriter(bus, { runId, stepId: 'ask', modelId: 'm' }, 1_000);
      writer.write('Hello');
      expect(seen.map((chunk) => chunk.text)).toEqual(['Hello']);
      writer.write(' wor');
      writer.write('ld');
      expect(seen, 'later text waits for the batch').toHaveLength(1);
      writer.end();
      expect(seen.map(({ offset, text, done }) => ({ offset, text, done }))).toEqual([
        { offset: 0, text: 'Hello', done: false },
        { offset: 5, text: ' world', done: true },
      ]);
    } finally {
      stop();
    }
  });
});
