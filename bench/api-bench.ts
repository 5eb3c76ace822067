/**
 * `npm run bench:api`: the API under load on loopback. Starts a dev server, a worker and the API
 * (`src/api/main.ts`) as separate processes, then measures GET /api/runs and POST /api/runs at a fixed
 * 200 requests/s, Socket.IO fan-out to 1,000 subscribed clients, and the API process's memory.
 * Bounded: each load lasts seconds, and everything it starts is stopped at the end.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { io, type Socket } from 'socket.io-client';
import type { RunDeltaEvent } from '../src/api/live-events';
import { startTestTemporal } from '../tests/helpers/temporal';
import { percentile, table } from './bench-support';

type Autocannon = (options: {
  url: string;
  method?: string;
  headers?: Record<string, string>;
  body?: string;
  connections: number;
  overallRate: number;
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

const freePort = () =>
  new Promise<number>((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });

function startPart(entry: string, env: Record<string, string>): ChildProcess {
  return spawn(process.execPath, ['--import', 'tsx', fileURLToPath(new URL(entry, import.meta.url))], {
    env: { ...process.env, TROUPE_LOG_LEVEL: 'WARN', ...env },
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
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

async function apiRssMb(base: string): Promise<number> {
  const text = await (await fetch(`${base}/metrics`)).text();
  const match = /^process_resident_memory_bytes (\d+(?:\.\d+)?)/m.exec(text);
  return match ? Number(match[1]) / 1024 / 1024 : Number.NaN;
}

async function load(base: string, method: 'GET' | 'POST', path: string, seconds: number, body?: unknown) {
  const latencies: number[] = [];
  const instance = autocannon({
    url: `${base}${path}`,
    method,
    connections: 20,
    overallRate: RATE,
    duration: seconds,
    ...(body !== undefined && {
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    }),
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
  const partEnv = {
    TEMPORAL_ADDRESS: env.address,
    TROUPE_TASK_QUEUE: 'bench-api',
    TROUPE_DATA_DIR: await mkdtemp(join(tmpdir(), 'troupe-bench-api-')),
    PORT: String(port),
    HOST: '127.0.0.1',
    TROUPE_RATE_LIMIT: '1000000',
  };
  const worker = startPart('../src/workers/main.ts', partEnv);
  const apiProcess = startPart('../src/api/main.ts', partEnv);
  const sockets: Socket[] = [];
  const lines: string[] = [];
  try {
    // The worker bundles its workflows first (CPU-heavy); measuring during that would measure the bundler.
    await Promise.all([waitForHttp(`${base}/healthz`), waitForReady(worker)]);
    const rssStart = await apiRssMb(base);
    let rssPeak = rssStart;
    const sampler = setInterval(
      () =>
        void apiRssMb(base).then(
          (mb) => (rssPeak = Math.max(rssPeak, mb)),
          () => undefined,
        ),
      500,
    );

    const liveSpec = {
      name: 'live',
      steps: Array.from({ length: 12 }, (_, index) => ({
        id: `s${index}`,
        kind: 'wait',
        with: { duration: '700ms' },
        ...(index > 0 && { dependsOn: [`s${index - 1}`] }),
      })),
    };
    const writeSpec = { name: 'bench', steps: [{ id: 'nap', kind: 'wait', with: { duration: '1s' } }] };
    for (let index = 0; index < 20; index += 1) {
      await fetch(`${base}/api/runs`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ spec: writeSpec }),
      });
    }
    const reads = await load(base, 'GET', '/api/runs?limit=20', READ_SECONDS);
    const writes = await load(base, 'POST', '/api/runs', WRITE_SECONDS, { spec: writeSpec });
    await waitForNoneRunning(base);

    const runIds: string[] = [];
    for (let index = 0; index < LIVE_RUNS; index += 1) {
      const response = await fetch(`${base}/api/runs`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ spec: liveSpec }),
      });
      runIds.push(((await response.json()) as { runId: string }).runId);
    }
    const fanOut: number[] = [];
    let gaps = 0;
    let connected = 0;
    const refusals: string[] = [];
    await Promise.all(
      Array.from({ length: SOCKETS }, async (_, index) => {
        const socket = io(base, { transports: ['websocket'], forceNew: true, reconnection: false });
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
            ((await (await fetch(`${base}/api/runs/${runId}`)).json()) as { status: string }).status,
        ),
      );
      if (states.every((status) => status === 'completed')) break;
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
    clearInterval(sampler);
    const rssEnd = await apiRssMb(base);
    fanOut.sort((a, b) => a - b);
    const fanOutP95 = percentile(fanOut, 95);

    lines.push(
      table([
        ['measure', 'p50 ms', 'p95 ms', 'p99 ms', 'requests/messages', 'failed/gaps'],
        loadRow('GET /api/runs @200/s', reads),
        loadRow('POST /api/runs @200/s', writes),
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
    if (refusals.length > 0) lines.push(`${refusals.length} subscriptions refused, e.g. ${refusals[0]}`);
    lines.push(
      `API process RSS: start ${rssStart.toFixed(0)} MB, peak ${rssPeak.toFixed(0)} MB, end ${rssEnd.toFixed(0)} MB`,
    );
    lines.push(
      `targets: read p95 < 50 ms (${reads.p95 < 50 ? 'met' : 'missed'}), fan-out p95 < 100 ms (${fanOutP95 < 100 ? 'met' : 'missed'})`,
    );
    lines.push(
      `api p95 read ms: ${reads.p95.toFixed(1)}, fan-out p95 ms: ${fanOutP95.toFixed(1)}, sockets: ${connected}`,
    );
  } finally {
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
    stopping = true;
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

function waitForReady(child: ChildProcess, timeoutMs = 180_000): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('the worker did not become ready')), timeoutMs);
    child.on('message', (message: { ready?: string }) => {
      if (message.ready !== 'worker') return;
      clearTimeout(timer);
      resolve();
    });
  });
}

/** Waits until the write phase's runs have finished, so the fan-out phase has the worker to itself. */
async function waitForNoneRunning(base: string, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const { runs } = (await (await fetch(`${base}/api/runs?status=running&limit=1`)).json()) as {
      runs: unknown[];
    };
    if (runs.length === 0) return;
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
