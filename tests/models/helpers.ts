import { mkdtemp } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import { stringify } from 'yaml';
import type { CatalogueFileInput } from '../../src/models/catalogue';
import type { Config } from '../../src/config';
import { loadCatalogue, parseCatalogue } from '../../src/models/catalogue-loader';
import { StoreCostLedger } from '../../src/models/cost-ledger';
import { storeOf } from '../../src/store/store';
import { createModelRuntime, type ModelRuntime } from '../../src/models/model-runtime';
import type { FakeModelServer } from '../../src/fake-models/server';

/** A port nothing listens on: connections to it are refused. */
export async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/**
 * A catalogue of one local provider (Ollama API) and one cloud provider (OpenAI API), both on the
 * fake server, with small timeouts so failures show quickly.
 */
export function fakeCatalogue(
  fake: Pick<FakeModelServer, 'url' | 'openaiUrl'>,
  overrides: Partial<CatalogueFileInput> = {},
) {
  const file: CatalogueFileInput = {
    breaker: { failures: 3, halfOpenAfterMs: 400 },
    health: { ttlMs: 60_000, probeTimeoutMs: 1_000 },
    providers: [
      { id: 'local', kind: 'ollama', baseUrl: fake.url, idleTimeoutMs: 1_000, timeoutMs: 5_000 },
      {
        id: 'cloud',
        kind: 'openai',
        baseUrl: fake.openaiUrl,
        apiKeyEnv: 'TEST_CLOUD_KEY',
        idleTimeoutMs: 1_000,
        timeoutMs: 5_000,
      },
    ],
    models: [
      {
        id: 'local-coder',
        provider: 'local',
        capabilities: ['code', 'json'],
        contextTokens: 32_000,
        quality: 55,
      },
      {
        id: 'cloud-mini',
        provider: 'cloud',
        capabilities: ['code', 'json', 'tools'],
        contextTokens: 128_000,
        quality: 70,
        pricing: { inputPerMillion: 0.15, outputPerMillion: 0.6 },
      },
      {
        id: 'cloud-big',
        provider: 'cloud',
        capabilities: ['code', 'json', 'tools', 'reasoning'],
        contextTokens: 128_000,
        quality: 90,
        pricing: { inputPerMillion: 2.5, outputPerMillion: 10 },
      },
    ],
    ...overrides,
  };
  return { file, text: stringify(file) };
}

/** The fake server's script entries for the models of fakeCatalogue, so the health probes list them. */
export const fakeModels = { 'local-coder': {}, 'cloud-mini': {}, 'cloud-big': {} };

export type TestRuntime = { runtime: ModelRuntime; ledger: StoreCostLedger; dataDir: string };

/** A real runtime on a real ledger: the state store (SQLite) in a fresh folder. */
export async function testRuntime(
  fake: Pick<FakeModelServer, 'url' | 'openaiUrl'>,
  overrides: Partial<CatalogueFileInput> = {},
  options: { taskQueuePrefix?: string; env?: Record<string, string> } = {},
): Promise<TestRuntime> {
  const dataDir = await mkdtemp(join(tmpdir(), 'troupe-models-'));
  const env = { TEST_CLOUD_KEY: 'test-key', ...options.env };
  const catalogue = parseCatalogue(fakeCatalogue(fake, overrides).text, {
    source: 'test-models.yaml',
    env,
    ...(options.taskQueuePrefix && { taskQueuePrefix: options.taskQueuePrefix }),
  });
  const ledger = new StoreCostLedger(storeOf({ TROUPE_DATA_DIR: dataDir }));
  return { runtime: createModelRuntime({ catalogue, env, ledger }), ledger, dataDir };
}

/** An activity context for calling activities directly; it logs only errors, so expected failures stay quiet. */
export function activityEnv() {
  const env = new MockActivityEnvironment(undefined, { logger: new DefaultLogger('ERROR') });
  return {
    env,
    run: <A extends unknown[], R>(fn: (...args: A) => Promise<R>, ...args: A): Promise<R> =>
      env.run<unknown[], R, (...args: unknown[]) => Promise<R>>(
        fn as (...args: unknown[]) => Promise<R>,
        ...args,
      ),
  };
}

/** The shipped catalogue's models, so the health probes find every one on the scripted server. */
export const shippedModels = Object.fromEntries(
  ['qwen2.5-coder:7b', 'llama3.1:8b', 'gpt-4o-mini', 'gpt-4o', 'deepseek-chat', 'deepseek-reasoner'].map(
    (id) => [id, {}],
  ),
);

/**
 * The shipped catalogue pointed at the scripted server, the way a user points it at real providers:
 * `env` for a worker process, `runtime` for the workers of a test stack.
 */
export function shippedCatalogueOn(fake: Pick<FakeModelServer, 'url' | 'openaiUrl'>) {
  const env = { OLLAMA_HOST: fake.url, OPENAI_BASE_URL: fake.openaiUrl, OPENAI_API_KEY: 'test-key' };
  return {
    env,
    runtime: ({ config }: { config: Config }) =>
      createModelRuntime({
        catalogue: loadCatalogue({ env, taskQueuePrefix: `${config.TROUPE_TASK_QUEUE}-models` }),
        env,
        dataDir: config.TROUPE_DATA_DIR,
      }),
  };
}
