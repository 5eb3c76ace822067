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
