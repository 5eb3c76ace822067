import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { WorkflowBundle } from '@temporalio/worker';
import type { AgentRegistry } from '../../src/agents/registry';
import { createApp } from '../../src/api/app';
import { ApiConfig } from '../../src/api/api-config';
import { startApiServer } from '../../src/api/api-server';
import { createRpcCount, type RpcCount } from '../../src/api/rpc-count';
import { connectApiToTemporal } from '../../src/api/temporal-connection';
import { Config } from '../../src/config';
import type { RunSnapshot } from '../../src/engine/run-snapshot';
import { createTroupeWorkers, type TroupeWorkerOptions } from '../../src/workers/worker';
import { testDataConverter, testPayloadEnv } from './payload-codec';
import { testQueue } from './temporal';

export const examplesDir = fileURLToPath(new URL('../../examples/', import.meta.url));

export type Api = {
  baseUrl: string;
  config: Config;
  close: () => Promise<void>;
};

/**
 * The real API on a free port, talking to the test's Temporal; with a registry, it can plan goals.
 * Keys are off here (TROUPE_AUTH=off), so tests of other features need none; tests/security and the
 * key tests start the whole server with keys on.
 */
export async function startApi(
  env: TestWorkflowEnvironment,
  name: string,
  { agents }: { agents?: AgentRegistry } = {},
): Promise<Api> {
  const config = Config.parse({
    TEMPORAL_ADDRESS: env.address,
    TROUPE_TASK_QUEUE: testQueue(name),
    TROUPE_DATA_DIR: await mkdtemp(join(tmpdir(), 'troupe-test-')),
  });
  const server: Server = await new Promise((resolve) => {
    const api = ApiConfig.parse({ TROUPE_AUTH: 'off' });
    const listening = createApp({ client: env.client, config, api, ...(agents && { agents }) }).listen(
      0,
      '127.0.0.1',
      () => resolve(listening),
    );
  });
  const { port } = server.address() as AddressInfo;
  return {
    baseUrl: `http://127.0.0.1:${port}`,
    config,
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** In-process workers on the API's task queue (and model pools, given a runtime); `stop()` drains them. */
export async function startWorker(
  env: TestWorkflowEnvironment,
  api: Api,
  bundle: WorkflowBundle,
  { models, agents }: Pick<TroupeWorkerOptions, 'models' | 'agents'> = {},
) {
  const workers = await createTroupeWorkers({
    connection: env.nativeConnection,
    namespace: api.config.TEMPORAL_NAMESPACE,
    taskQueue: api.config.TROUPE_TASK_QUEUE,
    dataDir: api.config.TROUPE_DATA_DIR,
    dataConverter: testDataConverter,
    workflowBundle: bundle,
    ...(models && { models }),
    ...(agents && { agents }),
  });
  const running = workers.run();
  return {
    stop: async () => {
      workers.shutdown();
      await running;
    },
  };
}

/**
 * A worker in its own process, started the way `npm run worker` starts one, so a test can kill it.
 * `extraEnv` adds settings such as REDIS_URL or where the model providers are.
 */
export function spawnWorker(
  env: TestWorkflowEnvironment,
  api: Api,
  extraEnv: Record<string, string> = {},
  { stdout = 'ignore' }: { stdout?: 'ignore' | 'pipe' } = {},
): ChildProcess {
  const entry = fileURLToPath(new URL('../../src/workers/main.ts', import.meta.url));
  return spawn(process.execPath, ['--import', 'tsx', entry], {
    env: {
      ...process.env,
      TEMPORAL_ADDRESS: env.address,
      TROUPE_TASK_QUEUE: api.config.TROUPE_TASK_QUEUE,
      TROUPE_DATA_DIR: api.config.TROUPE_DATA_DIR,
      TROUPE_LOG_LEVEL: 'WARN',
      ...testPayloadEnv,
      ...extraEnv,
    },
    stdio: ['ignore', stdout, 'inherit'],
  });
}

export async function readExample(name: string): Promise<string> {
  return readFile(join(examplesDir, name), 'utf8');
}

export async function postJson(
  url: string,
  body: unknown,
): Promise<{ status: number; type: string; body: any }> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return {
    status: response.status,
    type: response.headers.get('content-type') ?? '',
    body: await response.json(),
  };
}

/** Polls GET /api/runs/:runId until the run reaches one of the given statuses. */
export async function waitForRun(
  api: Api,
  runId: string,
  until: (run: RunSnapshot) => boolean,
  timeoutMs = 60_000,
): Promise<RunSnapshot> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    const response = await fetch(`${api.baseUrl}/api/runs/${runId}`);
    last = await response.json();
    if (response.ok && until(last as RunSnapshot)) return last as RunSnapshot;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(
    `run ${runId} did not reach the expected state in ${timeoutMs}ms; last answer: ${JSON.stringify(last)}`,
  );
}

/** Polls `check` until it holds; after `timeoutMs` fails, naming `what` it waited for. */
export async function waitUntil(
  check: () => boolean | Promise<boolean>,
  { timeoutMs = 30_000, everyMs = 50, what = 'the condition' } = {},
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}

export const isClosed = (run: RunSnapshot) => ['completed', 'failed', 'cancelled'].includes(run.status);

/**
 * Waits until the run reads closed and its workflow has ended too: a run reads `completed` as its
 * last step ends, while the workflow still records the steps' outcomes for a moment.
 */
export async function waitForRunEnded(
  env: TestWorkflowEnvironment,
  api: Api,
  runId: string,
  timeoutMs = 60_000,
): Promise<RunSnapshot> {
  const run = await waitForRun(api, runId, isClosed, timeoutMs);
  await env.client.workflow
    .getHandle(runId)
    .result()
    .catch(() => undefined);
  return run;
}

/**
 * The whole API server (REST, Socket.IO, metrics, auth) on a free port, as `npm run api` runs it.
 * `apiEnv` holds API settings: TROUPE_AUTH is `off` unless it says `required`; `lines` collects what
 * the server prints. With `countRpcs`, the server has a Temporal connection of its own whose calls
 * are counted in `rpcs`, as `npm run api` counts them.
 */
export async function startApiServerForTest(
  env: TestWorkflowEnvironment,
  name: string,
  {
    apiEnv = {},
    dataDir,
    agents,
    countRpcs,
  }: { apiEnv?: Record<string, string>; dataDir?: string; agents?: AgentRegistry; countRpcs?: boolean } = {},
): Promise<Api & { lines: string[]; rpcs?: RpcCount }> {
  const config = Config.parse({
    ...apiEnv,
    TEMPORAL_ADDRESS: env.address,
    TROUPE_TASK_QUEUE: testQueue(name),
    TROUPE_DATA_DIR: dataDir ?? (await mkdtemp(join(tmpdir(), 'troupe-test-'))),
  });
  const lines: string[] = [];
  const rpcs = countRpcs ? createRpcCount() : undefined;
  const connection = rpcs && (await connectApiToTemporal(env.address, rpcs));
  const client = connection
    ? new Client({ connection, namespace: config.TEMPORAL_NAMESPACE, dataConverter: testDataConverter })
    : env.client;
  const server = await startApiServer({
    client,
    ...(rpcs && { rpcs }),
    config,
    api: ApiConfig.parse({ TROUPE_AUTH: 'off', ...apiEnv }),
    ...(agents && { agents }),
    port: 0,
    host: '127.0.0.1',
    log: (line) => lines.push(line),
  });
  const { port } = server.server.address() as AddressInfo;
  return {
    baseUrl: `http://127.0.0.1:${port}`,
    config,
    lines,
    ...(rpcs && { rpcs }),
    close: async () => {
      await server.close();
      await connection?.close();
    },
  };
}
