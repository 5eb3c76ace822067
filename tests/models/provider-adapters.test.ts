import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { startFakeModelServer, type FakeModelServer } from '../../src/fake-models/server';
import { createOllamaProvider } from '../../src/models/ollama-provider';
import { createOpenAIProvider } from '../../src/models/openai-provider';
import type { ModelProvider } from '../../src/models/provider-adapter';
import { ProviderError } from '../../src/models/provider-error';
import { closedPort } from './helpers';

let fake: FakeModelServer;
const script = {
  models: {
    m: { tokensPerSecond: 400 },
    limited: { status: 429, retryAfterSeconds: 7 },
    down: { status: 503 },
    broken: { malformed: true },
    stuck: { hang: true },
    slow: { tokensPerSecond: 20 },
  },
  replies: [
    { match: { prompt: 'weather' }, toolCalls: [{ name: 'get_weather', arguments: { city: 'Paris' } }] },
    { match: { prompt: '/^person/' }, json: { name: 'Ada', age: 36 } },
    { match: { prompt: 'wrong person' }, json: { name: 'Ada' } },
    { match: { prompt: 'essay' }, reply: 'one two three four five six seven eight nine ten' },
  ],
};

beforeAll(async () => {
  fake = await startFakeModelServer({ script });
});
afterAll(() => fake.close());
beforeEach(() => fake.setScript(script));

const adapters: [string, () => ModelProvider][] = [
  ['openai', () => createOpenAIProvider({ id: 'openai', baseUrl: fake.openaiUrl, apiKey: 'test' })],
  ['ollama', () => createOllamaProvider({ id: 'ollama', baseUrl: fake.url })],
];
const user = (content: string) => [{ role: 'user' as const, content }];

async function failure(promise: Promise<unknown>): Promise<ProviderError> {
  try {
    await promise;
  } catch (err) {
    expect(err).toBeInstanceOf(ProviderError);
    return err as ProviderError;
  }
  throw new Error('the call succeeded');
}

describe.each(adapters)('the %s adapter against the fake server', (_name, make) => {
  it('streams a text answer with token usage and the simulated mark', async () => {
    const progress: number[] = [];
    const result = await make().chat({
      model: 'm',
      messages: user('write an essay'),
      onProgress: (p) => progress.push(p.outputTokens),
    });
    expect(result.text).toBe('[simulated] one two three four five six seven eight nine ten');
    expect(result.usage).toEqual({ inputTokens: 4, outputTokens: 11 });
    expect(result.simulated).toBe(true);
    expect(progress.length).toBeGreaterThan(5);
  });

  it('sends the agent header the script can match on', async () => {
    fake.setScript({ ...script, replies: [{ match: { agent: 'reviewer' }, reply: 'LGTM' }] });
    const result = await make().chat({
      model: 'm',
      messages: user('review'),
      headers: { 'x-troupe-agent': 'reviewer' },
    });
    expect(result.text).toBe('[simulated] LGTM');
    expect(fake.requests.at(-1)).toMatchObject({ agent: 'reviewer', model: 'm' });
  });

  it('returns the tool calls the model makes, with parsed arguments', async () => {
    const result = await make().chat({
      model: 'm',
      messages: user("what's the weather?"),
      tools: [
        { name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' } } } },
      ],
    });
    expect(result.toolCalls).toEqual([
      { id: expect.any(String), name: 'get_weather', arguments: { city: 'Paris' } },
    ]);
  });

  it('turns a zod schema into the response format and returns the validated object', async () => {
    const Person = z.object({ name: z.string(), age: z.number() });
    const result = await make().chat({ model: 'm', messages: user('person please'), schema: Person });
    expect(result.json).toEqual({ name: 'Ada', age: 36 });
  });

  it('accepts a JSON schema too, and reports an answer that does not match it as invalid output with its usage', async () => {
    const schema = {
      type: 'object',
      properties: { name: { type: 'string' }, age: { type: 'number' } },
      required: ['name', 'age'],
    };
    const err = await failure(make().chat({ model: 'm', messages: user('wrong person'), schema }));
    expect(err.kind).toBe('invalid-output');
    expect(err.message).toMatch(/does not match the step's schema \(age: /);
    expect(err.usage?.outputTokens).toBeGreaterThan(0);
  });

  it('reports a 429 as rate-limited with the Retry-After delay', async () => {
    const err = await failure(make().chat({ model: 'limited', messages: user('hi') }));
    expect(err).toMatchObject({ kind: 'rate-limited', status: 429, retryAfterMs: 7000 });
  });

  it('reports a 5xx as unavailable and a broken body as malformed', async () => {
    expect(await failure(make().chat({ model: 'down', messages: user('hi') }))).toMatchObject({
      kind: 'unavailable',
      status: 503,
    });
    expect((await failure(make().chat({ model: 'broken', messages: user('hi') }))).kind).toBe('malformed');
  });

  it('times out a connection that never answers, naming the limit', async () => {
    const err = await failure(make().chat({ model: 'stuck', messages: user('hi'), idleTimeoutMs: 200 }));
    expect(err.kind).toBe('timeout');
    expect(err.message).toMatch(/got no data for 200 ms \(idleTimeoutMs\)/);
  });

  it('stops a streaming answer when the abort signal fires, without waiting for the rest', async () => {
    const controller = new AbortController();
    let chunks = 0;
    const call = make().chat({
      model: 'slow',
      messages: user('write an essay'),
      signal: controller.signal,
      onProgress: () => {
        chunks += 1;
        controller.abort();
      },
    });
    expect((await failure(call)).kind).toBe('cancelled');
    expect(chunks).toBeLessThan(11);
  });

  it('lists the models of the server when probed', async () => {
    const { models } = await make().probe(AbortSignal.timeout(1000));
    expect(models).toEqual(Object.keys(script.models));
  });
});

describe('adapters with no server', () => {
  it('report a refused connection as unavailable, with the address in the message', async () => {
    const port = await closedPort();
    for (const provider of [
      createOpenAIProvider({ id: 'o', baseUrl: `http://127.0.0.1:${port}/v1` }),
      createOllamaProvider({ id: 'l', baseUrl: `http://127.0.0.1:${port}` }),
    ]) {
      const err = await failure(provider.chat({ model: 'm', messages: user('hi') }));
      expect(err.kind).toBe('unavailable');
      expect(err.message).toContain(`ECONNREFUSED 127.0.0.1:${port}`);
    }
  });
});
