/**
 * `npm run bench:api`: the API under load on loopback. Starts a dev server, a worker and the API
 * (`src/api/main.ts`) as separate processes, with keys required as `npm run api` has them, then
 * measures GET /api/runs and POST /api/runs at a fixed 200 requests/s, the sustained start rate
 * against the raw Temporal client's, live-update latency (alone, and with 500 idle runs watched), the
 * Temporal calls per idle watched run per minute (1 and 500 runs), Socket.IO fan-out to 1,000
 * subscribed clients, and the API process's memory. Bounded: each load lasts seconds (an idle window
 * a minute, BENCH_IDLE_MS), and everything it starts is stopped at the end.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { mkdtemp, readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { io, type Socket } from 'socket.io-client';
import { localKeyFile } from '../src/api/api-keys';
import { Spec } from '../src/engine/spec';
import type { RunDeltaEvent } from '../src/api/live-events';
import { testPayloadEnv } from '../tests/helpers/payload-codec';
import { startTestTemporal } from '../tests/helpers/temporal';
import {
  authorized,
  changingSpec,
  idleSpec,
  measureIdleRpcs,
  measureLiveLatency,
  startRuns,
  type BenchApi,
} from './api-live';
import { percentile, table } from './bench-support';

type Autocannon = (options: {
  url: string;
  method?: string;
  headers?: Record<string, string>;
  body?: string;
  connections: number;
  overallRate?: number;
  duration: number;
}) => {
  on(event: 'response', listener: (client: unknown, status: number, bytes: number, ms: number) => void): void;
} & PromiseLike<{ non2xx: number; errors: number; requests: { total: number } }>;
const autocannon = createRequire(import.meta.url)('autocannon') as Autocannon;

const RATE = 200;
const READ_SECONDS = 10;
const WRITE_SECONDS = 5;
const SOCKETS = 1000;
const LIVE_RUNS = 10;
const START_SECONDS = 4;
const START_LANES = 5;
const IDLE_RUNS = 500;
const IDLE_MS = Number(process.env.BENCH_IDLE_MS ?? 65_000);
const LATENCY = { runs: 10, steps: 12, stepMs: 700 };
const TASK_QUEUE = 'bench-api';

const freePort = () =>
  new Promise<number>((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });

/**
 * A part in its own process; what it prints goes to `<dataDir>/<name>.log`, its errors to the bench's.
 * No IPC channel: the bench needs none (it reads the worker's readiness from its output and stops its
 * parts with SIGTERM), and a part stops when its channel closes.
 */
function startPart(name: 'worker' | 'api', env: Record<string, string>): ChildProcess {
  const log = createWriteStream(join(env.TROUPE_DATA_DIR ?? tmpdir(), `${name}.log`));
  const entry = fileURLToPath(
    new URL(`../src/${name === 'api' ? 'api' : 'workers'}/main.ts`, import.meta.url),
  );
  const child = spawn(process.execPath, ['--import', 'tsx', entry], {
    env: { ...process.env, TROUPE_LOG_LEVEL: 'WARN', ...testPayloadEnv, ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  child.stdout?.pipe(log);
  return child;
}

async function waitForHttp(url: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (
      await fetch(url).then(
        (response) => response.ok,
        () => false,
      )
    )
      return;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`${url} did not answer within ${timeoutMs / 1000}s`);
}

async function apiRssMb(api: BenchApi): Promise<number> {
  const text = await (await fetch(`${api.base}/metrics`, authorized(api))).text();
  const match = /^process_resident_memory_bytes (\d+(?:\.\d+)?)/m.exec(text);
  return match ? Number(match[1]) / 1024 / 1024 : Number.NaN;
}

async function load(
  api: BenchApi,
  method: 'GET' | 'POST',
  path: string,
  seconds: number,
  { body, rate = RATE, connections = 20 }: { body?: unknown; rate?: number; connections?: number } = {},
) {
  const latencies: number[] = [];
  const instance = autocannon({
    url: `${api.base}${path}`,
    method,
    connections,
    ...(Number.isFinite(rate) && { overallRate: rate }),
    duration: seconds,
    headers: {
      authorization: `Bearer ${api.key}`,
      ...(body !== undefined && { 'content-type': 'application/json' }),
    },
    ...(body !== undefined && { body: JSON.stringify(body) }),
  });
  instance.on('response', (_client, _status, _bytes, ms) => latencies.push(ms));
  const result = await instance;
  latencies.sort((a, b) => a - b);
  return {
    p50: percentile(latencies, 50),
    p95: percentile(latencies, 95),
    p99: percentile(latencies, 99),
    total: result.requests.total,
    failed: result.non2xx + result.errors,
  };
}

async function main() {
  const env = await startTestTemporal();
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const dataDir = await mkdtemp(join(tmpdir(), 'troupe-bench-api-'));
  const partEnv = {
    TEMPORAL_ADDRESS: env.address,
    TROUPE_TASK_QUEUE: TASK_QUEUE,
    TROUPE_DATA_DIR: dataDir,
    PORT: String(port),
    HOST: '127.0.0.1',
    TROUPE_RATE_LIMIT: '1000000',
  };
  const worker = startPart('worker', { ...partEnv, TROUPE_LOG_LEVEL: 'INFO' });
  const apiProcess = startPart('api', partEnv);
  // Without them nothing measured would mean anything: stop at once, saying which part went.
  for (const [name, part] of [
    ['worker', worker],
    ['API', apiProcess],
  ] as const) {
    part.once('exit', (code, signal) => {
      if (stopping) return;
      stopping = true;
      console.error(
        `the ${name} process exited (${signal ?? `code ${code}`}) at ${new Date().toISOString()} before the bench ended; its output is in ${dataDir}`,
      );
      for (const other of [worker, apiProcess]) if (other.exitCode === null) other.kill('SIGTERM');
      void env.teardown().finally(() => process.exit(1));
    });
  }
  const sockets: Socket[] = [];
  const lines: string[] = [];
  try {
    // The worker bundles its workflows first (CPU-heavy); measuring during that would measure the bundler.
    await Promise.all([waitForHttp(`${base}/healthz`), waitForReady(worker)]);
    // Keys are required, as `npm run api` requires them: the bench uses the local key the API made.
    const api: BenchApi = { base, key: (await readFile(localKeyFile(dataDir), 'utf8')).trim() };
    const rssStart = await apiRssMb(api);
    let rssPeak = rssStart;
    const sampler = setInterval(
      () =>
        void apiRssMb(api).then(
          (mb) => (rssPeak = Math.max(rssPeak, mb)),
          () => undefined,
        ),
      500,
    );

    const liveSpec = changingSpec(12, 700);
    const writeSpec = { name: 'bench', steps: [{ id: 'nap', kind: 'wait', with: { duration: '1s' } }] };
    await startRuns(api, writeSpec, 20, 1);
    const reads = await load(api, 'GET', '/api/runs?limit=20', READ_SECONDS);
    progress('GET /api/runs', reads);
    const writes = await load(api, 'POST', '/api/runs', WRITE_SECONDS, { body: { spec: writeSpec } });
    progress('POST /api/runs', writes);
    await waitForNoneRunning(api);

    const latencyAlone = await measureLiveLatency(api, LATENCY);
    progress('live latency alone', latencyAlone);
    const idleOne = await measureIdleRpcs(api, await startRuns(api, idleSpec, 1), { windowMs: IDLE_MS });
    progress('idle rpc/min, 1 run', idleOne.perRunPerMinute);
    for (const socket of idleOne.sockets) socket.close();
    // A few at a time: 500 first workflow tasks at once starve the worker of CPU on a small machine.
    const idleIds = await startRuns(api, idleSpec, IDLE_RUNS, 3);
    const idleMany = await measureIdleRpcs(api, idleIds, { windowMs: IDLE_MS });
    progress(`idle rpc/min, ${IDLE_RUNS} runs`, idleMany.perRunPerMinute);
    const latencyWatched = await measureLiveLatency(api, LATENCY);
    progress(`live latency, ${IDLE_RUNS} watched`, latencyWatched);
    for (const socket of idleMany.sockets) socket.close();

    const runIds = await startRuns(api, liveSpec, LIVE_RUNS, 1);
    const fanOut: number[] = [];
    let gaps = 0;
    let connected = 0;
    const refusals: string[] = [];
    await Promise.all(
      Array.from({ length: SOCKETS }, async (_, index) => {
        const socket = io(base, {
          transports: ['websocket'],
          forceNew: true,
          reconnection: false,
          auth: { token: api.key },
        });
        sockets.push(socket);
        let last = -1;
        socket.on('run:snapshot', (event: { version: number }) => (last = event.version));
        socket.on('run:delta', (event: RunDeltaEvent) => {
          fanOut.push(Date.now() - event.sentAt);
          if (event.from !== last) gaps += 1;
          last = event.version;
        });
        await new Promise<void>((resolve, reject) => {
          socket.once('connect', () => resolve());
          socket.once('connect_error', reject);
        });
        connected += 1;
        const ack = (await socket
          .timeout(30_000)
          .emitWithAck('subscribe', { runId: runIds[index % LIVE_RUNS] })) as { ok: boolean; error?: string };
        if (!ack.ok) refusals.push(ack.error ?? 'refused');
      }),
    );
    const deadline = Date.now() + 15_000;
    while (Date.now() < deadline) {
      const states = await Promise.all(
        runIds.map(
          async (runId) =>
            ((await (await fetch(`${base}/api/runs/${runId}`, authorized(api))).json()) as { status: string })
              .status,
        ),
      );
      if (states.every((status) => status === 'completed')) break;
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
    clearInterval(sampler);
    const rssEnd = await apiRssMb(api);
    // Last: starting as fast as it can brings a dev server on SQLite near its limit, for a while.
    const starts = await startRates(api, env, writeSpec);
    fanOut.sort((a, b) => a - b);
    const fanOutP95 = percentile(fanOut, 95);

    lines.push(
      table([
        ['measure', 'p50 ms', 'p95 ms', 'p99 ms', 'requests/messages', 'failed/gaps'],
        loadRow('GET /api/runs @200/s', reads),
        loadRow('POST /api/runs @200/s', writes),
        latencyRow(`live latency, ${LATENCY.runs} runs`, latencyAlone),
        latencyRow(`live latency, ${IDLE_RUNS} idle watched`, latencyWatched),
        [
          `fan-out to ${connected} sockets`,
          percentile(fanOut, 50).toFixed(1),
          fanOutP95.toFixed(1),
          percentile(fanOut, 99).toFixed(1),
          String(fanOut.length),
          String(gaps),
        ],
      ]),
    );
    const idleRpcs = Math.max(idleOne.perRunPerMinute, idleMany.perRunPerMinute);
    const liveP95 = Math.max(latencyAlone.p95, latencyWatched.p95);
    lines.push(
      `starts/s: API ${starts.api.toFixed(1)}, raw client ${starts.raw.toFixed(1)}, ratio ${starts.ratio.toFixed(2)} (${START_SECONDS} s each in 1 s turns, ${START_LANES} at a time)`,
    );
    lines.push(
      `Temporal calls per idle watched run per minute: 1 run ${idleOne.perRunPerMinute.toFixed(2)}, ${IDLE_RUNS} runs ${idleMany.perRunPerMinute.toFixed(2)} (over ${IDLE_MS / 1000} s)`,
    );
    if (refusals.length > 0) lines.push(`${refusals.length} subscriptions refused, e.g. ${refusals[0]}`);
    lines.push(
      `API process RSS: start ${rssStart.toFixed(0)} MB, peak ${rssPeak.toFixed(0)} MB, end ${rssEnd.toFixed(0)} MB`,
    );
    lines.push(
      `targets: read p95 < 20 ms (${reads.p95 < 20 ? 'met' : 'missed'}), start rate vs raw >= 0.9 (${starts.ratio >= 0.9 ? 'met' : 'missed'}), live p95 < 50 ms (${liveP95 < 50 ? 'met' : 'missed'}), idle rpc/min <= 2 (${idleRpcs <= 2 ? 'met' : 'missed'}), fan-out p95 < 100 ms (${fanOutP95 < 100 ? 'met' : 'missed'})`,
    );
    lines.push(
      `api p95 read ms: ${reads.p95.toFixed(1)}, start rate vs raw: ${starts.ratio.toFixed(2)}, live p95 ms: ${liveP95.toFixed(1)}, idle rpc/min: ${idleRpcs.toFixed(2)}, fan-out p95 ms: ${fanOutP95.toFixed(1)}, sockets: ${connected}`,
    );
  } finally {
    // From here on the bench stops its parts itself: their exits are not news.
    stopping = true;
    for (const socket of sockets) socket.close();
    apiProcess.kill('SIGTERM');
    worker.kill('SIGTERM');
    await Promise.all(
      [apiProcess, worker].map(
        (child) =>
          new Promise((resolve) =>
            child.exitCode !== null ? resolve(undefined) : child.once('exit', resolve),
          ),
      ),
    );
    await env.teardown();
  }
  // Printed after everything stopped, so the summary really is the last line.
  console.log(lines.join('\n'));
  process.exit(0);
}

let stopping = false;
process.on('uncaughtException', (err) => {
  // A gRPC retry timer may still fire after the dev server stopped; nothing is measured any more.
  if (stopping) return;
  console.error(err);
  process.exit(1);
});

/**
 * Resolves when the worker's log says its orchestration pool polls (it has bundled its workflows by
 * then): the line `{"pool":"orchestration","taskQueues":[...],...}` of src/workers/main.ts.
 */
function waitForReady(child: ChildProcess, timeoutMs = 180_000): Promise<void> {
  return new Promise((resolve, reject) => {
    // Its own 'data' listener, beside the pipe to worker.log: a readline interface would pause the stream.
    let partial = '';
    const listen = (chunk: Buffer) => {
      const lines = (partial + chunk.toString()).split('\n');
      partial = lines.pop() ?? '';
      if (!lines.some(isPollingLine)) return;
      clearTimeout(timer);
      child.stdout?.off('data', listen);
      resolve();
    };
    const timer = setTimeout(() => {
      child.stdout?.off('data', listen);
      reject(new Error(`the worker did not say its orchestration pool polls within ${timeoutMs / 1000}s`));
    }, timeoutMs);
    child.stdout?.on('data', listen);
  });
}

function isPollingLine(line: string): boolean {
  try {
    const entry = JSON.parse(line) as { pool?: unknown; taskQueues?: unknown };
    return entry.pool === 'orchestration' && Array.isArray(entry.taskQueues);
  } catch {
    return false;
  }
}

/** Waits until the write phase's runs have finished, so the fan-out phase has the worker to itself. */
async function waitForNoneRunning(api: BenchApi, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const response = await fetch(`${api.base}/api/runs?status=running&limit=1`, authorized(api));
    const answer = (await response.json()) as { runs?: unknown[] };
    // A busy Temporal may answer the list with an error for a moment: ask again.
    if (response.ok && answer.runs?.length === 0) return;
    if (!response.ok)
      console.error(`GET /api/runs?status=running: ${response.status} ${JSON.stringify(answer)}`);
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});

/** A table row of one load test's latency percentiles and counts. */
function loadRow(
  name: string,
  stats: { p50: number; p95: number; p99: number; total: number; failed: number },
): string[] {
  return [
    name,
    stats.p50.toFixed(1),
    stats.p95.toFixed(1),
    stats.p99.toFixed(1),
    String(stats.total),
    String(stats.failed),
  ];
}

/** A table row of live-update latencies: samples are step ends seen, and gaps deltas that did not chain. */
function latencyRow(
  name: string,
  stats: { p50: number; p95: number; samples: number; gaps: number },
): string[] {
  return [name, stats.p50.toFixed(1), stats.p95.toFixed(1), '', String(stats.samples), String(stats.gaps)];
}

/**
 * Sustained starts per second through POST /api/runs, and through the raw Temporal client starting the
 * same run (runWorkflow on the API's task queue, with the spec parsed once, as a client that holds a
 * valid spec would), START_LANES at a time each, for START_SECONDS each in one-second turns (API, raw,
 * API, raw...): on a shared machine, one window of each in a row would compare the load of two moments
 * as much as the API with the client. Both sides' runs are served by the same worker, so each start
 * costs the machine the same workflow work; only what the API adds before the start differs.
 */
async function startRates(
  api: BenchApi,
  env: Awaited<ReturnType<typeof startTestTemporal>>,
  spec: unknown,
): Promise<{ api: number; raw: number; ratio: number }> {
  let viaApi = 0;
  let raw = 0;
  const args = [{ spec: Spec.parse(spec), input: {} }];
  for (let turn = 0; turn < START_SECONDS; turn += 1) {
    const answered = await load(api, 'POST', '/api/runs', 1, {
      body: { spec },
      rate: Infinity,
      connections: START_LANES,
    });
    viaApi += answered.total - answered.failed;
    const until = Date.now() + 1000;
    await Promise.all(
      Array.from({ length: START_LANES }, async (_, lane) => {
        for (let index = 0; Date.now() < until; index += 1) {
          await env.client.workflow.start('runWorkflow', {
            taskQueue: TASK_QUEUE,
            workflowId: `raw-${turn}-${lane}-${index}-${Date.now()}`,
            args,
          });
          raw += 1;
        }
      }),
    );
  }
  const apiRate = viaApi / START_SECONDS;
  const rawRate = raw / START_SECONDS;
  return { api: apiRate, raw: rawRate, ratio: apiRate / rawRate };
}

/** Each phase's figures as it ends, on stderr, so a bench cut short still says what it measured. */
function progress(phase: string, figures: unknown): void {
  console.error(`bench: ${phase}: ${JSON.stringify(figures)}`);
}
