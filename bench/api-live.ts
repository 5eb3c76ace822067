/**
 * The live-update parts of `npm run bench:api`: how soon a run's change reaches a Socket.IO client,
 * and how many Temporal calls the API makes for runs that are watched while nothing happens.
 */
import { io, type Socket } from 'socket.io-client';
import type { RunDeltaEvent } from '../src/api/live-events';
import { percentile } from './bench-support';

/** Where the API is and the key every request carries. */
export type BenchApi = { base: string; key: string };

export const authorized = (api: BenchApi, init: RequestInit = {}): RequestInit => ({
  ...init,
  headers: { ...(init.headers as Record<string, string>), authorization: `Bearer ${api.key}` },
});

export async function startRun(api: BenchApi, spec: unknown): Promise<string> {
  const response = await fetch(
    `${api.base}/api/runs`,
    authorized(api, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ spec }),
    }),
  );
  if (!response.ok) throw new Error(`POST /api/runs: ${response.status} ${await response.text()}`);
  return ((await response.json()) as { runId: string }).runId;
}

/** Starts `count` runs of `spec`, `lanes` at a time. */
export async function startRuns(api: BenchApi, spec: unknown, count: number, lanes = 10): Promise<string[]> {
  const ids: string[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: lanes }, async () => {
      while (next < count) {
        next += 1;
        ids.push(await startRun(api, spec));
      }
    }),
  );
  return ids;
}

export async function connect(api: BenchApi): Promise<Socket> {
  const socket = io(api.base, {
    transports: ['websocket'],
    forceNew: true,
    reconnection: false,
    auth: { token: api.key },
  });
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', () => resolve());
    socket.once('connect_error', reject);
  });
  return socket;
}

/**
 * Subscribes as a client would: a refusal because no worker answered the state query in time (runs
 * just started, their first workflow tasks still queued behind hundreds of others) is asked again.
 */
export async function subscribe(socket: Socket, runId: string, attempts = 12): Promise<void> {
  for (let attempt = 1; ; attempt += 1) {
    const ack = (await socket.timeout(60_000).emitWithAck('subscribe', { runId })) as {
      ok: boolean;
      error?: string;
    };
    if (ack.ok) return;
    if (attempt >= attempts || !ack.error?.startsWith('no worker answered'))
      throw new Error(`subscribe ${runId}: ${ack.error}`);
    // Growing and spread out, so a hundred refused at once do not all ask again at once.
    const backoff = Math.min(1_000 * 2 ** attempt, 10_000);
    await new Promise((resolve) => setTimeout(resolve, backoff / 2 + Math.random() * backoff));
  }
}

/** What /metrics itself asks Temporal at each scrape (run counts, pollers): not the watching's cost. */
const scrapeMethods = new Set(['CountWorkflowExecutions', 'DescribeTaskQueue']);

/** The API process's Temporal calls so far (`troupe_temporal_rpcs_total`), its scrapes' own left out. */
export async function temporalRpcs(api: BenchApi): Promise<number> {
  const text = await (await fetch(`${api.base}/metrics`, authorized(api))).text();
  const counts = [...text.matchAll(/^troupe_temporal_rpcs_total\{method="([^"]*)"\} (\d+(?:\.\d+)?)/gm)];
  if (counts.length === 0) throw new Error('the API reports no troupe_temporal_rpcs_total');
  return counts
    .filter(([, method]) => !scrapeMethods.has(method ?? ''))
    .reduce((sum, [, , value]) => sum + Number(value), 0);
}

/** A run that changes every `stepMs` for `steps` steps: the live-latency workload. */
export const changingSpec = (steps: number, stepMs: number) => ({
  name: 'live',
  steps: Array.from({ length: steps }, (_, index) => ({
    id: `s${index}`,
    kind: 'wait',
    with: { duration: `${stepMs}ms` },
    ...(index > 0 && { dependsOn: [`s${index - 1}`] }),
  })),
});

/** A run that waits ten minutes in one step: nothing about it changes while the bench watches. */
export const idleSpec = { name: 'idle', steps: [{ id: 'hold', kind: 'wait', with: { duration: '10m' } }] };

/**
 * Live latency: one socket per run, each run changing as its steps end. A step's `endedAt` is the
 * workflow's own time for the task that ended it (the same clock on loopback), so receipt minus
 * `endedAt` is the time from the state change in the workflow to the client, the worker's task included.
 */
export async function measureLiveLatency(
  api: BenchApi,
  { runs, steps, stepMs }: { runs: number; steps: number; stepMs: number },
): Promise<{ p50: number; p95: number; samples: number; gaps: number }> {
  const latencies: number[] = [];
  let gaps = 0;
  const sockets: Socket[] = [];
  const done: Promise<void>[] = [];
  try {
    const runIds = await startRuns(api, changingSpec(steps, stepMs), runs);
    for (const runId of runIds) {
      const socket = await connect(api);
      sockets.push(socket);
      let last = -1;
      done.push(
        new Promise<void>((resolve) => {
          socket.on('run:snapshot', (event: { version: number; run: { status: string } }) => {
            last = event.version;
            if (event.run.status === 'completed') resolve();
          });
          socket.on('run:delta', (event: RunDeltaEvent) => {
            const now = Date.now();
            if (event.from !== last) gaps += 1;
            last = event.version;
            for (const step of event.steps)
              if (step.status === 'completed' && step.endedAt) latencies.push(now - Date.parse(step.endedAt));
            if (event.run.status === 'completed') resolve();
          });
        }),
      );
      await subscribe(socket, runId);
    }
    const timeout = new Promise<void>((resolve) => setTimeout(resolve, steps * stepMs + 60_000));
    await Promise.race([Promise.all(done), timeout]);
  } finally {
    for (const socket of sockets) socket.close();
  }
  latencies.sort((a, b) => a - b);
  return {
    p50: percentile(latencies, 50),
    p95: percentile(latencies, 95),
    samples: latencies.length,
    gaps,
  };
}

/**
 * Temporal calls per watched idle run per minute: subscribes to every run (at most `perSocket` on one
 * socket), lets the subscriptions settle, then counts the API's calls over `windowMs`.
 */
export async function measureIdleRpcs(
  api: BenchApi,
  runIds: string[],
  { windowMs, perSocket = 100 }: { windowMs: number; perSocket?: number },
): Promise<{ perRunPerMinute: number; sockets: Socket[] }> {
  const sockets: Socket[] = [];
  for (let offset = 0; offset < runIds.length; offset += perSocket) {
    const socket = await connect(api);
    sockets.push(socket);
    await Promise.all(runIds.slice(offset, offset + perSocket).map((runId) => subscribe(socket, runId)));
  }
  await new Promise((resolve) => setTimeout(resolve, 3_000));
  const before = await temporalRpcs(api);
  await new Promise((resolve) => setTimeout(resolve, windowMs));
  const after = await temporalRpcs(api);
  return {
    perRunPerMinute: (after - before) / runIds.length / (windowMs / 60_000),
    sockets,
  };
}
