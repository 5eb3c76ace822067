import Long from 'long';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp } from 'node:fs/promises';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client } from '@temporalio/client';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { testDataConverter, testPayloadEnv } from './helpers/payload-codec';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireTemporalCli } from '../temporal/cli.mjs';
import { ensureSearchAttributes } from '../temporal/search-attributes';
import { TroupeStatus, troupeSearchAttributes } from '../src/engine/search-attributes';
import {
  isClosed,
  postJson,
  readExample,
  startApi,
  waitForRun,
  waitUntil,
  type Api,
} from './helpers/harness';

/** A plain dev server, as someone else would run it: none of Troupe's search attributes, no dynamic config. */
let env: TestWorkflowEnvironment;
let troupe: ChildProcess | undefined;

beforeAll(async () => {
  env = await TestWorkflowEnvironment.createLocal({
    server: { executable: { type: 'existing-path', path: requireTemporalCli() } },
  });
});

afterAll(async () => {
  if (troupe && troupe.exitCode === null) {
    const exited = new Promise((resolve) => troupe?.once('exit', resolve));
    troupe.kill('SIGTERM');
    await exited;
  }
  await env?.teardown();
});

const custom = async (namespace = 'default') =>
  Object.keys(
    (await env.connection.operatorService.listSearchAttributes({ namespace })).customAttributes ?? {},
  );

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe('Troupe on a Temporal server it did not start', () => {
  it('npm start registers the search attributes on a fresh server and runs a spec', async () => {
    const names = troupeSearchAttributes.map((key) => key.name);
    expect(await custom()).not.toEqual(expect.arrayContaining(names));
    const port = await freePort();
    const lines: string[] = [];
    troupe = spawn(
      process.execPath,
      ['--import', 'tsx', fileURLToPath(new URL('../src/start.ts', import.meta.url))],
      {
        env: {
          ...process.env,
          TEMPORAL_ADDRESS: env.address,
          TROUPE_AUTH: 'off',
          ...testPayloadEnv,
          PORT: String(port),
          TROUPE_TASK_QUEUE: 'test-any-temporal',
          TROUPE_DATA_DIR: await mkdtemp(join(tmpdir(), 'troupe-any-temporal-')),
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    const collect = (chunk: Buffer) => lines.push(...chunk.toString().split('\n'));
    troupe.stdout?.on('data', collect);
    troupe.stderr?.on('data', collect);
    await waitUntil(() => lines.some((line) => line.includes('Troupe is up.')) || troupe?.exitCode !== null, {
      timeoutMs: 150_000,
      everyMs: 250,
      what: 'npm start to report that Troupe is up',
    });
    expect(troupe.exitCode, lines.join('\n')).toBeNull();
    expect(await custom()).toEqual(expect.arrayContaining(names));

    const api = { baseUrl: `http://127.0.0.1:${port}` } as Api;
    const started = await postJson(`${api.baseUrl}/api/runs`, {
      spec: await readExample('hello.yaml'),
      input: { name: 'anywhere' },
    });
    expect(started.status, JSON.stringify(started.body)).toBe(201);
    const run = await waitForRun(api, started.body.runId as string, isClosed, 60_000);
    expect(run.output).toBe('Hello, anywhere! (16 characters)');
    const client = new Client({ connection: env.connection, dataConverter: testDataConverter });
    const description = await client.workflow.getHandle(run.runId).describe();
    // The start wrote TroupeStatus, so the attribute was registered; the close status is Temporal's own.
    expect(description.typedSearchAttributes.get(TroupeStatus)).toBe('running');
    expect(description.status.name).toBe('COMPLETED');
    const listedIds = async () => {
      const listed = await fetch(`${api.baseUrl}/api/runs?status=completed`);
      expect(listed.status).toBe(200);
      const { runs } = (await listed.json()) as { runs: { runId: string }[] };
      return runs.map((entry) => entry.runId);
    };
    await waitUntil(async () => (await listedIds()).includes(run.runId), {
      what: 'the run listed under ?status=completed',
    });
  }, 240_000);

  it('ensures the attributes idempotently, even from several processes at once', async () => {
    const results = await Promise.all(
      Array.from({ length: 4 }, () =>
        ensureSearchAttributes(env.connection.operatorService, { namespace: 'default' }),
      ),
    );
    expect(results).toEqual(Array(4).fill({ added: [] }));
  });

  it('says what to run when the attributes cannot be registered', async () => {
    await expect(
      ensureSearchAttributes(env.connection.operatorService, {
        namespace: 'no-such-namespace',
        address: env.address,
      }),
    ).rejects.toThrow(
      /not registered on namespace "no-such-namespace" .*Register them with `temporal operator search-attribute create --address \S+ --namespace no-such-namespace --name TroupeStatus --type Keyword --name TroupeAgents --type KeywordList/,
    );
  });
});

describe('the API on a namespace without the attributes', () => {
  let api: Api | undefined;
  afterAll(() => api?.close());

  it('answers 503 saying what to run, not 500', async () => {
    await env.connection.workflowService.registerNamespace({
      namespace: 'bare',
      workflowExecutionRetentionPeriod: { seconds: Long.fromNumber(86_400) },
    });
    const client = new (await import('@temporalio/client')).Client({
      connection: env.connection,
      namespace: 'bare',
    });
    // A namespace is usable once the server's namespace cache has it.
    await waitUntil(
      async () =>
        client.workflow.count().then(
          () => true,
          () => false,
        ),
      { timeoutMs: 30_000, everyMs: 500, what: 'namespace "bare" to be usable' },
    );
    expect(await custom('bare')).toEqual([]);
    const bare = { ...env, client } as unknown as TestWorkflowEnvironment;
    api = await startApi(bare, 'bare namespace');
    const refused = await postJson(`${api.baseUrl}/api/runs`, { spec: await readExample('hello.yaml') });
    expect(refused.status).toBe(503);
    expect(refused.body.detail).toContain('temporal operator search-attribute create --namespace');
  });
});
