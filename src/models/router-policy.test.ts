import { describe, expect, it } from 'vitest';
import { CatalogueFile, resolveCatalogue, type Catalogue, type CatalogueFileInput } from './catalogue';
import {
  BreakerState,
  planRoute,
  ProviderStatus,
  UnknownModelError,
  type RouteSnapshot,
} from './router-policy';

function catalogue(input: Partial<CatalogueFileInput> = {}): Catalogue {
  const file = CatalogueFile.parse({
    providers: [
      { id: 'local', kind: 'ollama', baseUrl: 'http://127.0.0.1:11434' },
      { id: 'cloud', kind: 'openai', baseUrl: 'https://api.example.com/v1' },
    ],
    models: [
      {
        id: 'small',
        provider: 'local',
        capabilities: ['code', 'json'],
        contextTokens: 8000,
        quality: 40,
        tokensPerSecond: 30,
      },
      {
        id: 'medium',
        provider: 'local',
        capabilities: ['code', 'json', 'tools'],
        contextTokens: 32000,
        quality: 60,
        tokensPerSecond: 20,
      },
      {
        id: 'mini',
        provider: 'cloud',
        capabilities: ['code', 'json', 'tools'],
        contextTokens: 128000,
        quality: 70,
        tokensPerSecond: 120,
        pricing: { inputPerMillion: 0.15, outputPerMillion: 0.6 },
      },
      {
        id: 'big',
        provider: 'cloud',
        capabilities: ['code', 'json', 'tools', 'reasoning', 'vision'],
        contextTokens: 128000,
        quality: 90,
        tokensPerSecond: 60,
        pricing: { inputPerMillion: 2.5, outputPerMillion: 10 },
      },
    ],
    ...input,
  });
  const resolved = resolveCatalogue(file, { source: 'test.yaml', env: {}, taskQueuePrefix: 'tq' });
  if (!resolved.ok) throw new Error(JSON.stringify(resolved.problems));
  return resolved.catalogue;
}

const healthy: RouteSnapshot = { providers: {}, breakers: {} };
const ids = (plan: { chain: { modelId: string }[] }) => plan.chain.map((candidate) => candidate.modelId);

describe('planRoute', () => {
  it('tries local models best-first, then cloud models cheapest-first, under local-first', () => {
    const plan = planRoute(catalogue(), healthy, { policy: 'local-first', inputTokens: 100 });
    expect(ids(plan)).toEqual(['medium', 'small', 'mini', 'big']);
    expect(plan.chain[0]?.reason).toMatch(/first by local-first: medium \(local on local, free/);
  });

  it('orders by estimated cost under cheapest-capable, preferring quality among equal prices', () => {
    const plan = planRoute(catalogue(), healthy, { policy: 'cheapest-capable', inputTokens: 100 });
    expect(ids(plan)).toEqual(['medium', 'small', 'mini', 'big']);
  });

  it('orders by output speed under fastest and by quality under best-quality', () => {
    expect(ids(planRoute(catalogue(), healthy, { policy: 'fastest', inputTokens: 100 }))).toEqual([
      'mini',
      'big',
      'small',
      'medium',
    ]);
    expect(ids(planRoute(catalogue(), healthy, { policy: 'best-quality', inputTokens: 100 }))).toEqual([
      'big',
      'mini',
      'medium',
      'small',
    ]);
  });

  it('uses the catalogue default policy when the step names none', () => {
    const plan = planRoute(catalogue({ routing: { defaultPolicy: 'best-quality' } }), healthy, {
      inputTokens: 10,
    });
    expect(plan.policy).toBe('best-quality');
    expect(ids(plan)[0]).toBe('big');
  });

  it('keeps only models with every required capability and enough context, saying why the rest were skipped', () => {
    const plan = planRoute(catalogue(), healthy, {
      policy: 'local-first',
      capabilities: ['tools'],
      contextTokens: 20000,
      inputTokens: 100,
    });
    expect(ids(plan)).toEqual(['medium', 'mini', 'big']);
    expect(plan.skipped).toEqual([{ modelId: 'small', reason: 'lacks tools' }]);

    const long = planRoute(catalogue(), healthy, { inputTokens: 30000, maxOutputTokens: 4000 });
    expect(ids(long)).toEqual(['mini', 'big']);
    expect(long.skipped.map((skip) => skip.reason)).toContain(
      'context window 32000 tokens is below the 34000 this call needs',
    );
  });

  it('leaves out models whose provider is down or whose circuit is open, and lets half-open ones probe', () => {
    const snapshot: RouteSnapshot = {
      providers: { local: { status: ProviderStatus.Down, error: 'connect ECONNREFUSED' } },
      breakers: { mini: BreakerState.Open, big: BreakerState.HalfOpen },
    };
    const plan = planRoute(catalogue(), snapshot, { policy: 'local-first', inputTokens: 10 });
    expect(ids(plan)).toEqual(['big']);
    expect(plan.chain[0]?.reason).toMatch(/half-open, so this call probes it/);
    expect(plan.skipped).toContainEqual({
      modelId: 'small',
      reason: 'provider local is down: connect ECONNREFUSED',
    });
    expect(plan.skipped).toContainEqual({
      modelId: 'mini',
      reason: 'circuit breaker open after repeated failures',
    });
    expect(plan.reason).toMatch(/^local-first: big first, then 0 fallback\(s\); skipped small/);
  });

  it('skips an Ollama model that the server has not pulled', () => {
    const snapshot: RouteSnapshot = {
      providers: { local: { status: ProviderStatus.Up, models: ['small:latest'] } },
      breakers: {},
    };
    const plan = planRoute(catalogue(), snapshot, { policy: 'local-first', inputTokens: 10 });
    expect(ids(plan)).toEqual(['small', 'mini', 'big']);
    expect(plan.skipped).toEqual([
      { modelId: 'medium', reason: 'not pulled on local; run `ollama pull medium`' },
    ]);
  });

  it('routes a pinned model alone, and refuses a model the catalogue does not have', () => {
    expect(ids(planRoute(catalogue(), healthy, { model: 'big', inputTokens: 10 }))).toEqual(['big']);
    expect(() => planRoute(catalogue(), healthy, { model: 'nope', inputTokens: 10 })).toThrow(
      UnknownModelError,
    );
  });

  it('gives each candidate the task queue of its provider, or its own when the model has limits', () => {
    const base = catalogue();
    const limited = catalogue({
      models: [
        { id: 'small', provider: 'local', contextTokens: 8000 },
        {
          id: 'mini',
          provider: 'cloud',
          contextTokens: 8000,
          pricing: { inputPerMillion: 1, outputPerMillion: 1 },
        },
        {
          id: 'big',
          provider: 'cloud',
          contextTokens: 8000,
          pricing: { inputPerMillion: 2, outputPerMillion: 2 },
          limits: { concurrency: 1 },
        },
      ],
    });
    expect(
      planRoute(base, healthy, { policy: 'local-first', inputTokens: 10 }).chain.map((c) => c.taskQueue),
    ).toEqual(['tq-local', 'tq-local', 'tq-cloud', 'tq-cloud']);
    expect(
      planRoute(limited, healthy, { policy: 'local-first', inputTokens: 10 }).chain.map((c) => c.taskQueue),
    ).toEqual(['tq-local', 'tq-cloud', 'tq-cloud--big']);
  });

  it('returns the same chain for the same inputs, ties broken by id', () => {
    const twins = catalogue({
      models: [
        { id: 'b', provider: 'local', contextTokens: 1000 },
        { id: 'a', provider: 'local', contextTokens: 1000 },
      ],
    });
    expect(ids(planRoute(twins, healthy, { inputTokens: 1, maxOutputTokens: 1 }))).toEqual(['a', 'b']);
  });
});
