import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import OpenAI from 'openai';
import { Ollama } from 'ollama';
import { startFakeModelServer, type FakeModelServer } from '../../src/fake-models/server';
import { loadScript } from '../../src/fake-models/script';
import { defaultScriptPath } from '../../src/fake-models/server';

let fake: FakeModelServer;

beforeAll(async () => {
  fake = await startFakeModelServer({ script: { models: { m: {} } } });
});
afterAll(() => fake.close());

const openai = () => new OpenAI({ baseURL: fake.openaiUrl, apiKey: 'test', maxRetries: 0 });

describe('the fake model server', () => {
  it('answers the OpenAI API without streaming too, with usage and the simulated marks', async () => {
    const { data, response } = await openai()
      .chat.completions.create({ model: 'm', messages: [{ role: 'user', content: 'hello' }] })
      .withResponse();
    expect(response.headers.get('x-troupe-simulated')).toBe('true');
    expect(data.choices[0]?.message.content).toBe('[simulated] answer from m to: hello');
    expect(data.system_fingerprint).toBe('troupe-fake-models');
    expect(data.usage).toMatchObject({ prompt_tokens: 2, completion_tokens: 6 });
  });

  it('answers the Ollama API without streaming too', async () => {
    const reply = await new Ollama({ host: fake.url }).chat({
      model: 'm',
      messages: [{ role: 'user', content: 'hello' }],
    });
    expect(reply.message.content).toBe('[simulated] answer from m to: hello');
    expect(reply.done).toBe(true);
  });

  it('picks the first rule matching model, agent and prompt, with regexes written /like this/', async () => {
    fake.setScript({
      models: { m: {} },
      replies: [
        { match: { model: '/^gpt-/', prompt: 'plan' }, reply: 'gpt plan' },
        { match: { agent: 'critic', prompt: '/review/i' }, reply: 'critic review of {{prompt}}' },
        { match: { prompt: 'plan' }, reply: 'plan for {{model}}' },
      ],
      defaultReply: 'default',
    });
    const ask = async (model: string, content: string, agent?: string) => {
      const result = await openai().chat.completions.create(
        { model, messages: [{ role: 'user', content }] },
        agent ? { headers: { 'x-troupe-agent': agent } } : {},
      );
      return result.choices[0]?.message.content;
    };
    expect(await ask('gpt-4o', 'make a plan')).toBe('[simulated] gpt plan');
    expect(await ask('llama', 'make a plan')).toBe('[simulated] plan for llama');
    expect(await ask('llama', 'REVIEW this', 'critic')).toBe('[simulated] critic review of REVIEW this');
    expect(await ask('llama', 'REVIEW this')).toBe('[simulated] default');
  });

  it('fails the same requests on every run for a given seed and error rate', async () => {
    const outcomes = async () => {
      fake.setScript({ seed: 7, models: { flaky: { errorRate: 0.5 } } });
      const results: string[] = [];
      for (let i = 0; i < 20; i++) {
        results.push(
          await openai()
            .chat.completions.create({ model: 'flaky', messages: [{ role: 'user', content: 'x' }] })
            .then(() => 'ok')
            .catch((err: { status?: number }) => String(err.status)),
        );
      }
      return results;
    };
    const first = await outcomes();
    expect(await outcomes()).toEqual(first);
    expect(first).toContain('500');
    expect(first).toContain('ok');
  });

  it('loads its default script, which lists the models of the shipped catalogue', () => {
    const script = loadScript(defaultScriptPath);
    expect(Object.keys(script.models)).toEqual(
      expect.arrayContaining(['qwen2.5-coder:7b', 'llama3.1:8b', 'gpt-4o-mini', 'gpt-4o', 'deepseek-chat']),
    );
  });

  it('names the file and field of a bad script', () => {
    expect(() => loadScript(new URL('./fixtures/bad-script.yaml', import.meta.url).pathname)).toThrow(
      /the fake model script .*bad-script\.yaml is invalid:\n {2}models\.m\.errorRate: Too big: expected number to be <=1/,
    );
  });
});
