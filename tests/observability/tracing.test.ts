import type { ChildProcess } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { ApiConfig } from '../../src/api/api-config';
import { createApp } from '../../src/api/app';
import { Config } from '../../src/config';
import { startTracing, tracingClientInterceptors, type Tracing } from '../../src/observability/tracing';
import {
  isClosed,
  postJson,
  readExample,
  spawnWorker,
  waitForRun,
  waitUntil,
  type Api,
} from '../helpers/harness';
import { testDataConverter } from '../helpers/payload-codec';
import { shippedCatalogueOn, shippedModels } from '../models/helpers';
import { startFakeModelServer, type FakeModelServer } from '../../src/fake-models/server';
import { createInterface } from 'node:readline';
import { startTestTemporal, testQueue } from '../helpers/temporal';

/** One span as OTLP/JSON carries it, with the service that sent it. */
type ReceivedSpan = { traceId: string; spanId: string; parentSpanId?: string; name: string; service: string };

type OtlpExport = {
  resourceSpans: {
    resource: { attributes: { key: string; value: { stringValue?: string } }[] };
    scopeSpans: { spans: Omit<ReceivedSpan, 'service'>[] }[];
  }[];
};

/** A small OTLP/HTTP receiver: it keeps every span POSTed to /v1/traces. */
function startReceiver(): Promise<{ server: Server; url: string; spans: ReceivedSpan[] }> {
  const spans: ReceivedSpan[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      if (req.url === '/v1/traces' && req.headers['content-type']?.includes('json')) {
        const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as OtlpExport;
        for (const { resource, scopeSpans } of body.resourceSpans) {
          const service =
            resource.attributes.find((attribute) => attribute.key === 'service.name')?.value.stringValue ??
            '';
          for (const { spans: sent } of scopeSpans) {
            for (const span of sent) spans.push({ ...span, service });
          }
        }
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve({ server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, spans }),
    ),
  );
}

/** A port nothing listens on now. */
function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const probe = createServer().listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}

let env: TestWorkflowEnvironment;
let receiver: Awaited<ReturnType<typeof startReceiver>>;
let tracing: Tracing;
let api: Api;
let worker: ChildProcess;
let workerMetrics: string;
let fake: FakeModelServer;
const workerLog: string[] = [];

beforeAll(async () => {
  receiver = await startReceiver();
  // As `npm run api` and `npm run worker` run with the variable set: this process is the API.
  process.env.OTEL_EXPORTER_OTLP_ENDPOINT = receiver.url;
  tracing = startTracing('troupe-api');
  env = await startTestTemporal();
  const client = new Client({
    connection: env.connection,
    dataConverter: testDataConverter,
    interceptors: tracingClientInterceptors(),
  });
  const config = Config.parse({
    TEMPORAL_ADDRESS: env.address,
    TROUPE_TASK_QUEUE: testQueue('tracing'),
    TROUPE_DATA_DIR: await mkdtemp(join(tmpdir(), 'troupe-test-')),
  });
  const server = await new Promise<Server>((resolve) => {
    const listening = createApp({ client, config, api: ApiConfig.parse({ TROUPE_AUTH: 'off' }) }).listen(
      0,
      '127.0.0.1',
      () => resolve(listening),
    );
  });
  api = {
    baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    config,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
  workerMetrics = `127.0.0.1:${await freePort()}`;
  fake = await startFakeModelServer();
  fake.setScript({
    models: shippedModels,
    replies: [{ match: { prompt: 'say hello' }, reply: 'hello there' }],
  });
  worker = spawnWorker(
    env,
    api,
    {
      ...shippedCatalogueOn(fake).env,
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
      TROUPE_WORKER_METRICS: workerMetrics,
      TROUPE_LOG_LEVEL: 'INFO',
    },
    { stdout: 'pipe' },
  );
  // The worker's log: one JSON object per line.
  createInterface({ input: worker.stdout! }).on('line', (line) => workerLog.push(line));
});

afterAll(async () => {
  delete process.env.OTEL_EXPORTER_OTLP_ENDPOINT;
  worker?.kill('SIGTERM');
  await api?.close();
  await tracing?.shutdown();
  await env?.teardown();
  receiver?.server.close();
  await fake?.close();
});

it('follows one trace from POST /api/runs through the workflow to the tool activity, across processes', async () => {
  const started = await postJson(`${api.baseUrl}/api/runs`, {
    spec: await readExample('hello.yaml'),
    input: { name: 'traces' },
  });
  expect(started.status).toBe(201);
  const run = await waitForRun(api, started.body.runId as string, isClosed, 90_000);
  expect(run.status).toBe('completed');
  await tracing.spanProcessor.forceFlush();

  const request = () =>
    receiver.spans.find((span) => span.name === 'POST /api/runs' && span.service === 'troupe-api');
  const inTrace = () => receiver.spans.filter((span) => span.traceId === request()?.traceId);
  const wanted = [
    'StartWorkflow:runWorkflow',
    'RunWorkflow:runWorkflow',
    'StartActivity:runTool',
    'RunActivity:runTool',
  ];
  // The worker's batch processor sends within a second or so of the spans ending.
  await waitUntil(() => wanted.every((name) => inTrace().some((span) => span.name === name)), {
    timeoutMs: 20_000,
    what: `spans ${wanted.join(', ')} in the request's trace; received: ${receiver.spans.map((span) => span.name).join(', ')}`,
  });

  const spans = inTrace();
  const byId = new Map(spans.map((span) => [span.spanId, span]));
  const ancestors = (span: ReceivedSpan): string[] => {
    const parent = span.parentSpanId ? byId.get(span.parentSpanId) : undefined;
    return parent ? [parent.name, ...ancestors(parent)] : [];
  };
  const tool = spans.filter((span) => span.name === 'RunActivity:runTool');
  // Both steps of hello.yaml ran a tool; each activity span descends from the workflow and the request.
  expect(tool).toHaveLength(2);
  for (const span of tool) {
    expect(span.service).toBe('troupe-worker');
    expect(ancestors(span)).toEqual(
      expect.arrayContaining([
        'StartActivity:runTool',
        'RunWorkflow:runWorkflow',
        'StartWorkflow:runWorkflow',
        'POST /api/runs',
      ]),
    );
  }
  expect(new Set(spans.map((span) => span.service))).toEqual(new Set(['troupe-api', 'troupe-worker']));
});

it("serves the Temporal SDK's own metrics from the worker process, for Prometheus", async () => {
  // The run of the test above has polled, scheduled and completed tasks on both of the worker's queues.
  const response = await fetch(`http://${workerMetrics}/metrics`);
  expect(response.status).toBe(200);
  const text = await response.text();
  const sample = (name: string) =>
    text.split('\n').filter((line) => line.startsWith(name) && line.includes(api.config.TROUPE_TASK_QUEUE));
  expect(sample('temporal_worker_task_slots_available').length).toBeGreaterThan(0);
  expect(sample('temporal_workflow_task_schedule_to_start_latency').length).toBeGreaterThan(0);
  expect(sample('temporal_activity_schedule_to_start_latency').length).toBeGreaterThan(0);
  const polled = sample('temporal_workflow_task_queue_poll_succeed');
  expect(polled.length).toBeGreaterThan(0);
  expect(Math.max(...polled.map((line) => Number(line.split(' ').pop())))).toBeGreaterThan(0);
  expect(text).toMatch(/pools="[^"]*orchestration[^"]*"/);
});

it('logs JSON lines that carry the run, step and model, from the workflow and from the model call', async () => {
  const started = await postJson(`${api.baseUrl}/api/runs`, {
    spec: {
      name: 'logged',
      steps: [{ id: 'ask', kind: 'model', with: { prompt: 'say hello', policy: 'local-first' } }],
    },
  });
  expect(started.status).toBe(201);
  const runId = started.body.runId as string;
  const run = await waitForRun(api, runId, isClosed, 90_000);
  expect(run.status).toBe('completed');
  const model = run.steps[0]?.model?.modelId;
  expect(model).toBeTruthy();

  const lines = () =>
    workerLog.flatMap((line) => {
      try {
        return [JSON.parse(line) as Record<string, unknown>];
      } catch {
        return [];
      }
    });
  const find = (msg: string) => lines().find((line) => line.runId === runId && line.msg === msg);
  await waitUntil(() => Boolean(find('step ask completed') && find(`model ${model} answered`)), {
    timeoutMs: 10_000,
    what: `the worker's log lines for run ${runId}; got: ${workerLog.slice(-10).join('\n')}`,
  });
  // The workflow's line, through the SDK's workflow logger.
  expect(find('step ask completed')).toMatchObject({
    service: 'troupe-worker',
    level: 30,
    runId,
    stepId: 'ask',
    status: 'completed',
    model,
    workflowType: 'runWorkflow',
  });
  // The model call's line, from the activity.
  expect(find(`model ${model} answered`)).toMatchObject({
    runId,
    stepId: 'ask',
    model,
    outputTokens: expect.any(Number),
    latencyMs: expect.any(Number),
  });
  // Every line is JSON: nothing else is printed on the worker's stdout.
  expect(lines()).toHaveLength(workerLog.length);
});
