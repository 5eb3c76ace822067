import { afterAll, beforeAll, expect, it } from 'vitest';
import { fileURLToPath } from 'node:url';
import { startFakeModelServer, type FakeModelServer } from '../../src/fake-models/server';
import { postJson, readExample, waitUntil } from '../helpers/harness';
import { shippedCatalogueOn } from '../models/helpers';
import { getRun, psql, sampleRepo, TestCluster, waitClosed } from './cluster-harness';

const fakeScript = fileURLToPath(new URL('../../config/fake-models/fix-and-test.yaml', import.meta.url));

const cluster = new TestCluster();
const { database } = cluster;
let fake: FakeModelServer;

beforeAll(async () => {
  fake = await startFakeModelServer({ script: fakeScript });
  await cluster.boot(shippedCatalogueOn(fake).env);
}, 480_000);

afterAll(async () => {
  await cluster.cleanUp();
  await fake?.close();
}, 120_000);

let helloRunId: string;

it('runs hello.yaml on Temporal Server on PostgreSQL, and both API processes serve it', async () => {
  cluster.requireBuild();
  expect(cluster.output).toContain(`${database}: set up, schema`);
  expect(cluster.output).toContain(`${database}_visibility: set up, schema`);
  expect(cluster.output).toContain(`Temporal Server is up at ${cluster.temporalAddress}`);
  for (const url of cluster.apiUrls) expect((await fetch(`${url}/healthz`)).status, url).toBe(200);

  const started = await postJson(`${cluster.apiUrls[0]}/api/runs`, {
    spec: await readExample('hello.yaml'),
    input: { name: 'cluster' },
  });
  expect(started.status, JSON.stringify(started.body)).toBe(201);
  helloRunId = started.body.runId as string;
  // Read through the other API process: the runs are Temporal's, not a process's.
  const hello = await waitClosed(cluster.apiUrls[1] as string, helloRunId, 120_000);
  expect(hello.status, hello.error).toBe('completed');
  expect(hello.output).toBe('Hello, cluster! (15 characters)');

  await waitUntil(
    async () => (await cluster.workflowList()).some((w) => w.execution.workflowId === helloRunId),
    {
      timeoutMs: 30_000,
      everyMs: 1000,
      what: '`temporal workflow list` to list the run',
    },
  );
  const listed = (await cluster.workflowList()).find((w) => w.execution.workflowId === helloRunId);
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
  cluster.requireBuild();
  const started = await postJson(`${cluster.apiUrls[1]}/api/runs`, {
    spec: await readExample('fix-and-test.yaml'),
    input: { repo: sampleRepo },
  });
  expect(started.status, JSON.stringify(started.body)).toBe(201);
  const runId = started.body.runId as string;
  const result = await waitClosed(cluster.apiUrls[0] as string, runId, 240_000);
  expect(result.status, result.error).toBe('completed');
  expect(result.steps.every((step) => step.status === 'completed')).toBe(true);
  expect((await cluster.workflowList()).map((w) => w.execution.workflowId)).toContain(runId);
  // Troupe's own state is in PostgreSQL too: the model calls' ledger lines, in `<database>_troupe`.
  expect(cluster.output).toContain(
    `store: Troupe's state in PostgreSQL at 127.0.0.1:5432/${database}_troupe`,
  );
  expect(
    Number(await psql(`${database}_troupe`, `select count(*) from model_calls where run_id = '${runId}'`)),
  ).toBeGreaterThan(0);
}, 300_000);

it('keeps the runs, the saved specs and the ledger when everything is stopped and started again', async () => {
  cluster.requireBuild();
  const saved = await postJson(`${cluster.apiUrls[0]}/api/specs`, { spec: await readExample('hello.yaml') });
  expect(saved.status, JSON.stringify(saved.body)).toBe(201);
  const tables = await psql(
    `${database}_troupe`,
    "select string_agg(table_name, ',' order by table_name) from information_schema.tables where table_schema = 'public' and table_name in ('api_keys', 'specs', 'model_calls', 'budget_holds', 'outcomes', 'blobs')",
  );
  expect(tables).toBe('api_keys,blobs,budget_holds,model_calls,outcomes,specs');
  const ledgerLines = await psql(`${database}_troupe`, 'select count(*) from model_calls');
  await cluster.stop();
  await cluster.start();
  expect(cluster.output).toContain(`${database}: up to date, schema`);
  expect(cluster.output).toContain('namespace "default" found');
  const hello = await getRun(cluster.apiUrls[0] as string, helloRunId);
  expect(hello.status).toBe('completed');
  expect(hello.output).toBe('Hello, cluster! (15 characters)');
  expect((await cluster.workflowList()).map((w) => w.execution.workflowId)).toContain(helloRunId);
  // Read through the other API process, after the restart.
  const spec = await fetch(`${cluster.apiUrls[1]}/api/specs/hello`);
  expect(spec.status).toBe(200);
  expect(await psql(`${database}_troupe`, 'select count(*) from model_calls')).toBe(ledgerLines);
  expect(Number(ledgerLines)).toBeGreaterThan(0);
}, 480_000);
