import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { RunSnapshot } from '../../src/engine/run-snapshot';
import { startFakeModelServer, type FakeModelServer } from '../../src/fake-models/server';
import { requireTemporalCli } from '../../temporal/cli.mjs';
import { parseDatabaseUrl } from '../../temporal/database-url';
import { requireServerParts } from '../../temporal/server-build.mjs';
import { dropDatabases } from '../../temporal/temporal-schema';
import { isClosed, postJson, readExample, waitUntil } from '../helpers/harness';
import { shippedCatalogueOn } from '../models/helpers';

const run = promisify(execFile);
const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
const sampleRepo = fileURLToPath(new URL('../fixtures/sample-repo', import.meta.url));
const fakeScript = fileURLToPath(new URL('../../config/fake-models/fix-and-test.yaml', import.meta.url));

// Fresh databases per run of this file, so reruns and parallel runs never meet, dropped afterwards.
const database = `troupe_test_${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;
const databaseUrl = `postgres://postgres@127.0.0.1:5432/${database}`;
const databases = parseDatabaseUrl(databaseUrl);

let troupe: ChildProcess | undefined;
let output = '';
let env: NodeJS.ProcessEnv;
let apiUrls: string[];
let temporalAddress: string;
let fake: FakeModelServer;
let paths: ReturnType<typeof requireServerParts>;

/**
 * `count` consecutive free ports on loopback, from a random start, so parallel files do not collide;
 * below 32768, since Temporal stores its membership ports as smallint.
 */
async function freePorts(count: number): Promise<number> {
  const free = (port: number) =>
    new Promise<boolean>((resolve) => {
      const probe = createServer();
      probe.once('error', () => resolve(false));
      probe.listen(port, '127.0.0.1', () => probe.close(() => resolve(true)));
    });
  for (;;) {
    const first = 20_000 + Math.floor(Math.random() * 12_000);
    let all = true;
    for (let port = first; port < first + count && all; port++) all = await free(port);
    if (all) return first;
  }
}

/** `npm run start:cluster`, as a user types it; resolves once it says Troupe is up. */
async function startCluster(): Promise<void> {
  output = '';
  troupe = spawn('npm', ['run', '--silent', 'start:cluster'], {
    cwd: repoRoot,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  troupe.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  troupe.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exitCode = () => troupe?.exitCode ?? null;
  await waitUntil(() => output.includes('Troupe is up.') || exitCode() !== null, {
    timeoutMs: 420_000,
    everyMs: 250,
    what: '`npm run start:cluster` to say Troupe is up',
  });
  expect(exitCode(), output).toBeNull();
}

async function stopCluster(): Promise<void> {
  const child = troupe;
  troupe = undefined;
  if (!child?.pid || child.exitCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  process.kill(-child.pid, 'SIGINT');
  await exited;
}

async function getRun(base: string, runId: string): Promise<RunSnapshot> {
  return (await (await fetch(`${base}/api/runs/${runId}`)).json()) as RunSnapshot;
}

async function waitClosed(base: string, runId: string, timeoutMs: number): Promise<RunSnapshot> {
  await waitUntil(async () => isClosed(await getRun(base, runId)), {
    timeoutMs,
    everyMs: 500,
    what: `${runId} to close`,
  });
  return getRun(base, runId);
}

/** `temporal workflow list` against the cluster's frontend, as JSON lines. */
async function workflowList(): Promise<{ execution: { workflowId: string }; status: string }[]> {
  const { stdout } = await run(
    requireTemporalCli(),
    ['workflow', 'list', '--address', temporalAddress, '--namespace', 'default', '-o', 'jsonl'],
    { timeout: 30_000 },
  );
  return stdout
    .split('\n')
    .filter((line) => line.trim())
    .map((line) => JSON.parse(line) as { execution: { workflowId: string }; status: string });
}

async function psql(db: string, sql: string): Promise<string> {
  const { stdout } = await run('psql', ['-h', '127.0.0.1', '-U', 'postgres', '-d', db, '-Atc', sql], {
    timeout: 30_000,
  });
  return stdout.trim();
}

/**
 * Never skipped: without the build each test fails, saying to run `npm run setup -- --server`
 * (a failing beforeAll would only mark them skipped).
 */
function requireBuild(): void {
  if (buildError) throw buildError;
}
let buildError: Error | undefined;

beforeAll(async () => {
  try {
    paths = requireServerParts();
  } catch (err) {
    buildError = err as Error;
    return;
  }
  fake = await startFakeModelServer({ script: fakeScript });
  const temporalPort = await freePorts(10);
  const apiPort = await freePorts(2);
  apiUrls = [`http://127.0.0.1:${apiPort}`, `http://127.0.0.1:${apiPort + 1}`];
  temporalAddress = `127.0.0.1:${temporalPort}`;
  env = {
    ...process.env,
    ...shippedCatalogueOn(fake).env,
    TEMPORAL_DATABASE_URL: databaseUrl,
    TEMPORAL_PORT: String(temporalPort),
    TEMPORAL_UI_PORT: String(temporalPort + 9),
    TEMPORAL_INTERNAL_PORTS: String(temporalPort + 1),
    PORT: String(apiPort),
    TROUPE_AUTH: 'off',
    TROUPE_DATA_DIR: await mkdtemp(join(tmpdir(), 'troupe-cluster-')),
    TROUPE_TASK_QUEUE: `test-cluster-${database}`,
    TROUPE_REPOS: sampleRepo,
  };
  delete env.TEMPORAL_ADDRESS;
  await startCluster();
}, 480_000);

afterAll(async () => {
  await stopCluster();
  await fake?.close();
  if (paths) await dropDatabases(databases, paths);
  // Troupe's own state database, beside Temporal's.
  await run('dropdb', ['-h', '127.0.0.1', '-U', 'postgres', '--if-exists', `${database}_troupe`]).catch(
    () => undefined,
  );
}, 120_000);

let helloRunId: string;

it('runs hello.yaml on Temporal Server on PostgreSQL, and both API processes serve it', async () => {
  requireBuild();
  expect(output).toContain(`${database}: set up, schema`);
  expect(output).toContain(`${database}_visibility: set up, schema`);
  expect(output).toContain(`Temporal Server is up at ${temporalAddress}`);
  for (const url of apiUrls) expect((await fetch(`${url}/healthz`)).status, url).toBe(200);

  const started = await postJson(`${apiUrls[0]}/api/runs`, {
    spec: await readExample('hello.yaml'),
    input: { name: 'cluster' },
  });
  expect(started.status, JSON.stringify(started.body)).toBe(201);
  helloRunId = started.body.runId as string;
  // Read through the other API process: the runs are Temporal's, not a process's.
  const hello = await waitClosed(apiUrls[1] as string, helloRunId, 120_000);
  expect(hello.status, hello.error).toBe('completed');
  expect(hello.output).toBe('Hello, cluster! (15 characters)');

  await waitUntil(async () => (await workflowList()).some((w) => w.execution.workflowId === helloRunId), {
    timeoutMs: 30_000,
    everyMs: 1000,
    what: '`temporal workflow list` to list the run',
  });
  const listed = (await workflowList()).find((w) => w.execution.workflowId === helloRunId);
  expect(listed?.status).toMatch(/COMPLETED/);

  // The history and the visibility record are rows in the test's own databases.
  expect(
    Number(
      await psql(
        database,
        "select count(*) from information_schema.tables where table_name in ('executions', 'history_node', 'namespaces')",
      ),
    ),
  ).toBe(3);
  expect(
    Number(
      await psql(
        `${database}_visibility`,
        `select count(*) from executions_visibility where workflow_id = '${helloRunId}'`,
      ),
    ),
  ).toBe(1);
}, 240_000);

it('runs fix-and-test.yaml to completion with the agents against the scripted models', async () => {
  requireBuild();
  const started = await postJson(`${apiUrls[1]}/api/runs`, {
    spec: await readExample('fix-and-test.yaml'),
    input: { repo: sampleRepo },
  });
  expect(started.status, JSON.stringify(started.body)).toBe(201);
  const runId = started.body.runId as string;
  const result = await waitClosed(apiUrls[0] as string, runId, 240_000);
  expect(result.status, result.error).toBe('completed');
  expect(result.steps.every((step) => step.status === 'completed')).toBe(true);
  expect((await workflowList()).map((w) => w.execution.workflowId)).toContain(runId);
  // Troupe's own state is in PostgreSQL too: the model calls' ledger lines, in `<database>_troupe`.
  expect(output).toContain(`store: Troupe's state in PostgreSQL at 127.0.0.1:5432/${database}_troupe`);
  expect(
    Number(await psql(`${database}_troupe`, `select count(*) from model_calls where run_id = '${runId}'`)),
  ).toBeGreaterThan(0);
}, 300_000);

it('keeps the runs, the saved specs and the ledger when everything is stopped and started again', async () => {
  requireBuild();
  const saved = await postJson(`${apiUrls[0]}/api/specs`, { spec: await readExample('hello.yaml') });
  expect(saved.status, JSON.stringify(saved.body)).toBe(201);
  const tables = await psql(
    `${database}_troupe`,
    "select string_agg(table_name, ',' order by table_name) from information_schema.tables where table_schema = 'public' and table_name in ('api_keys', 'specs', 'model_calls', 'budget_holds', 'outcomes', 'blobs')",
  );
  expect(tables).toBe('api_keys,blobs,budget_holds,model_calls,outcomes,specs');
  const ledgerLines = await psql(`${database}_troupe`, 'select count(*) from model_calls');
  await stopCluster();
  await startCluster();
  expect(output).toContain(`${database}: up to date, schema`);
  expect(output).toContain('namespace "default" found');
  const hello = await getRun(apiUrls[0] as string, helloRunId);
  expect(hello.status).toBe('completed');
  expect(hello.output).toBe('Hello, cluster! (15 characters)');
  expect((await workflowList()).map((w) => w.execution.workflowId)).toContain(helloRunId);
  // Read through the other API process, after the restart.
  const spec = await fetch(`${apiUrls[1]}/api/specs/hello`);
  expect(spec.status).toBe(200);
  expect(await psql(`${database}_troupe`, 'select count(*) from model_calls')).toBe(ledgerLines);
  expect(Number(ledgerLines)).toBeGreaterThan(0);
}, 480_000);
