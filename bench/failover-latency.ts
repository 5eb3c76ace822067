import type { FakeModelServer } from '../src/fake-models/server';
import { MemoryCostLedger } from '../src/models/cost-ledger';
import { callOneModel, ModelCallError, type CallModelInput } from '../src/models/model-caller';
import { failsOver } from '../src/models/model-failures';
import { createModelRuntime, type ModelRuntime } from '../src/models/model-runtime';
import { planRoute } from '../src/models/router-policy';
import { buildCatalogue, summary } from './bench-support';

/**
 * Part 3: what a failover costs in time beyond the attempt that failed, over real HTTP against the
 * fake server. The primary answers 500 (or is behind an open breaker); the clock runs from the
 * moment its failure is known to the moment the next candidate has answered, so it includes
 * classifying the error, the ledger line, picking the next candidate and the whole second call.
 */

const ROUNDS = 300;

function runtimeFor(fake: FakeModelServer, breakerFailures: number): ModelRuntime {
  const catalogue = buildCatalogue({
    breaker: { failures: breakerFailures, halfOpenAfterMs: 3_600_000 },
    providers: [
      { id: 'ollama', kind: 'ollama', baseUrl: fake.url },
      { id: 'cloud', kind: 'openai', baseUrl: fake.openaiUrl },
    ],
    models: [
      { id: 'primary', provider: 'ollama', capabilities: ['code'], contextTokens: 32_000, quality: 60 },
      {
        id: 'backup',
        provider: 'cloud',
        capabilities: ['code'],
        contextTokens: 128_000,
        quality: 80,
        pricing: { inputPerMillion: 0.15, outputPerMillion: 0.6 },
      },
    ],
  });
  return createModelRuntime({ catalogue, env: {}, ledger: new MemoryCostLedger() });
}

const input = (round: number): Omit<CallModelInput, 'modelId'> => ({
  runId: 'bench-failover',
  stepId: `round-${round}`,
  prompt: 'Write a short function that adds two numbers.',
  maxTokens: 64,
});

async function measure(runtime: ModelRuntime) {
  const failed: number[] = [];
  const added: number[] = [];
  const direct: number[] = [];
  for (let round = -20; round < ROUNDS; round++) {
    const chain = planRoute(runtime.catalogue, { providers: {}, breakers: {} }, { inputTokens: 20 }).chain;
    const started = performance.now();
    let failedAt = Number.NaN;
    for (const candidate of chain) {
      try {
        await callOneModel(runtime, { ...input(round), modelId: candidate.modelId });
        break;
      } catch (err) {
        if (!(err instanceof ModelCallError) || !failsOver(err.type)) throw err;
        failedAt = performance.now();
      }
    }
    const done = performance.now();
    const alone = performance.now();
    await callOneModel(runtime, { ...input(round), modelId: 'backup' });
    if (round < 0) continue;
    failed.push(failedAt - started);
    added.push(done - failedAt);
    direct.push(performance.now() - alone);
  }
  return { failed: summary(failed), added: summary(added), direct: summary(direct) };
}

/** Failover after an HTTP 500, and past an open circuit breaker (no request to the failed model). */
export async function failoverLatency(fake: FakeModelServer) {
  fake.setScript({ models: { primary: { status: 500 }, backup: {} } });
  const afterError = await measure(runtimeFor(fake, 1_000_000));
  const breakerRuntime = runtimeFor(fake, 1);
  await callOneModel(breakerRuntime, { ...input(-100), modelId: 'primary' }).catch(() => undefined);
  const pastOpenBreaker = await measure(breakerRuntime);
  return { afterError, pastOpenBreaker };
}
