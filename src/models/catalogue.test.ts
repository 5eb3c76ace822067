import { describe, expect, it } from 'vitest';
import { modelQueues } from './catalogue';
import { CatalogueError, parseCatalogue } from './catalogue-loader';

const yaml = `
providers:
  - { id: ollama, kind: ollama, baseUrl: 'http://127.0.0.1:11434', baseUrlEnv: OLLAMA_HOST, limits: { concurrency: 2 } }
  - id: openai
    kind: openai
    baseUrl: https://api.openai.com/v1
    baseUrlEnv: OPENAI_BASE_URL
    apiKeyEnv: OPENAI_API_KEY
    limits: { concurrency: 8, requestsPerSecond: 5 }
models:
  - { id: 'llama3.1:8b', provider: ollama, capabilities: [tools], contextTokens: 131072 }
  - { id: gpt-4o, provider: openai, contextTokens: 128000, pricing: { inputPerMillion: 2.5, outputPerMillion: 10 } }
  - id: gpt-4o-mini
    provider: openai
    contextTokens: 128000
    pricing: { inputPerMillion: 0.15, outputPerMillion: 0.6 }
    limits: { concurrency: 1, requestsPerSecond: 0.5 }
`;

function problems(text: string): string {
  try {
    parseCatalogue(text, { source: 'my-models.yaml' });
  } catch (err) {
    expect(err).toBeInstanceOf(CatalogueError);
    return (err as Error).message;
  }
  throw new Error('the catalogue was accepted');
}

describe('the model catalogue', () => {
  it('fills in defaults: local for Ollama, zero price for local models, a task queue per provider', () => {
    const catalogue = parseCatalogue(yaml, { source: 'm.yaml', taskQueuePrefix: 'troupe-models' });
    const llama = catalogue.models.find((model) => model.id === 'llama3.1:8b');
    expect(llama).toMatchObject({
      name: 'llama3.1:8b',
      local: true,
      kind: 'ollama',
      pricing: { inputPerMillion: 0, outputPerMillion: 0 },
      taskQueue: 'troupe-models-ollama',
      quality: 50,
      maxOutputTokens: 1024,
    });
    expect(catalogue.routing).toEqual({ defaultPolicy: 'local-first', maxRateLimitWaitMs: 10_000 });
  });

  it('lets OLLAMA_HOST and OPENAI_BASE_URL replace the base URLs, accepting host:port', () => {
    const catalogue = parseCatalogue(yaml, {
      source: 'm.yaml',
      env: { OLLAMA_HOST: '10.0.0.5:11434', OPENAI_BASE_URL: 'http://127.0.0.1:4010/v1/' },
    });
    expect(catalogue.providers.map((provider) => [provider.baseUrl, provider.baseUrlSource])).toEqual([
      ['http://10.0.0.5:11434', 'OLLAMA_HOST'],
      ['http://127.0.0.1:4010/v1', 'OPENAI_BASE_URL'],
    ]);
  });

  it('gives a model with its own limits its own queue, and each queue the limits Temporal will enforce', () => {
    const catalogue = parseCatalogue(yaml, { source: 'm.yaml', taskQueuePrefix: 'q' });
    expect(modelQueues(catalogue)).toEqual([
      { taskQueue: 'q-ollama', provider: 'ollama', models: ['llama3.1:8b'], limits: { concurrency: 2 } },
      {
        taskQueue: 'q-openai',
        provider: 'openai',
        models: ['gpt-4o'],
        limits: { concurrency: 8, requestsPerSecond: 5 },
      },
      {
        taskQueue: 'q-openai--gpt-4o-mini',
        provider: 'openai',
        models: ['gpt-4o-mini'],
        limits: { concurrency: 1, requestsPerSecond: 0.5 },
      },
    ]);
  });

  it('names the file, the path and the problem for a bad field', () => {
    const text = yaml.replace('inputPerMillion: 2.5', "inputPerMillion: 'cheap'");
    expect(problems(text)).toBe(
      'the model catalogue my-models.yaml is invalid:\n  models[1].pricing.inputPerMillion: Invalid input: expected number, received string',
    );
  });

  it('refuses unknown fields, unknown providers, duplicate ids and paid models without a price', () => {
    const text = `
providers:
  - { id: cloud, kind: openai, baseUrl: 'https://x.example/v1', colour: blue }
models:
  - { id: a, provider: cloud, contextTokens: 10 }
  - { id: a, provider: nowhere, contextTokens: 10 }
`;
    expect(problems(text)).toContain('providers[0].colour: unknown field "colour"');
    const fixed = text.replace(', colour: blue', '');
    const message = problems(fixed);
    expect(message).toContain(
      'models[0].pricing: model "a" runs on the paid provider "cloud" and needs pricing {inputPerMillion, outputPerMillion}; write 0 if it is free',
    );
    expect(message).toContain('models[1].id: duplicate model id "a"');
    expect(message).toContain('models[1].provider: unknown provider "nowhere"; the catalogue has: cloud');
  });

  it('reports YAML syntax errors with their line', () => {
    expect(problems('providers: [\n  - oops')).toMatch(
      /^the model catalogue my-models.yaml is invalid:\n  \(file\): not valid YAML at line \d+/,
    );
  });

  it('refuses an override variable that does not hold a URL', () => {
    expect(() => parseCatalogue(yaml, { source: 'm.yaml', env: { OPENAI_BASE_URL: 'http://' } })).toThrow(
      /providers\[1\]\.baseUrlEnv: OPENAI_BASE_URL="http:\/\/" is not a URL/,
    );
  });
});
