import { readdirSync } from 'node:fs';
import { io, type Socket } from 'socket.io-client';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { RunDeltaEvent, RunSnapshotEvent } from '../../src/api/live-events';
import { startFakeModelServer, type FakeModelServer } from '../../src/fake-models/server';
import { postJson, readExample, waitUntil } from '../helpers/harness';
import { shippedCatalogueOn } from '../models/helpers';
import { execute, getRun, sampleRepo, TestCluster, waitClosed } from './cluster-harness';
import { fileURLToPath } from 'node:url';

/**
 * The faults production sees, on cluster mode (Temporal Server and Troupe's state on PostgreSQL, two
 * workers per pool, two API processes), with runs of parallel.yaml and fix-and-test.yaml in flight:
 * kill -9 of a worker, kill -9 of the API process a client watches through (it reconnects to the
 * other), a PostgreSQL restart and a Temporal Server restart. Every run must end as it should.
 */
const fakeScript = fileURLToPath(new URL('../../config/fake-models/fix-and-test.yaml', import.meta.url));
const cluster = new TestCluster();
let fake: FakeModelServer;

beforeAll(async () => {
  fake = await startFakeModelServer({ script: fakeScript });
  await cluster.boot(shippedCatalogueOn(fake).env);
}, 480_000);

afterAll(async () => {
  watcher?.close();
  await cluster.cleanUp();
  await fake?.close();
}, 180_000);

/**
 * Watches one run over Socket.IO as the console does, and when its API process goes away, reconnects
 * to the next one and subscribes again. Counts gaps (a delta whose `from` is not the last version seen)
 * and duplicates (a version seen twice, or going back).
 */
class Watcher {
  last = -1;
  gaps = 0;
  duplicates = 0;
  reconnects = 0;
  private socket: Socket | undefined;
  private closed = false;

  constructor(
    private readonly urls: string[],
    private readonly runId: string,
  ) {}

  connect(index = 0): void {
    const socket = io(this.urls[index % this.urls.length], {
      transports: ['websocket'],
      reconnection: false,
    });
    this.socket = socket;
    socket.on('run:snapshot', (event: RunSnapshotEvent) => {
      if (event.runId !== this.runId) return;
      // A snapshot after a reconnect holds the whole run: it may move ahead, never back.
      if (event.version < this.last) this.duplicates += 1;
      this.last = Math.max(this.last, event.version);
    });
    socket.on('run:delta', (delta: RunDeltaEvent) => {
      if (delta.runId !== this.runId) return;
      if (delta.version <= this.last) this.duplicates += 1;
      else if (delta.from !== this.last) this.gaps += 1;
      this.last = Math.max(this.last, delta.version);
    });
    socket.on('connect', () => socket.emit('subscribe', { runId: this.runId }));
    const retry = () => {
      socket.removeAllListeners();
      socket.close();
      if (this.closed) return;
      this.reconnects += 1;
      setTimeout(() => this.connect(index + 1), 250);
    };
    socket.on('disconnect', retry);
    socket.on('connect_error', retry);
  }

  close(): void {
    this.closed = true;
    this.socket?.close();
  }
}
let watcher: Watcher | undefined;

/** POSTs a run through any API process that answers, as a client with two addresses does. */
async function startRun(body: unknown): Promise<string> {
  let last = '';
  for (let attempt = 0; attempt < 120; attempt++) {
    const url = cluster.apiUrls[attempt % 2] as string;
    const started = await postJson(`${url}/api/runs`, body).catch((err: Error) => ({
      status: 0,
      body: { message: err.message },
    }));
    if (started.status === 201) return started.body.runId as string;
    last = JSON.stringify(started.body);
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
  throw new Error(`no API process started the run; last answer: ${last}`);
}

async function kill9(part: string): Promise<void> {
  const pid = await cluster.pidOf(part);
  process.kill(pid, 'SIGKILL');
  await waitUntil(async () => (await cluster.restartsOf(part)) > 0, {
    timeoutMs: 60_000,
    everyMs: 250,
    what: `the supervisor to restart ${part}`,
  });
}

it('ends every run as it should through kill -9 of a worker and an API, and restarts of PostgreSQL and Temporal Server', async () => {
  cluster.requireBuild();
  const parallel = await readExample('parallel.yaml');
  const fixAndTest = await readExample('fix-and-test.yaml');
  const runs: string[] = [];
  // The watched run sleeps long enough to span the first faults.
  const watched = await startRun({ spec: parallel, input: { pause: 20 } });
  runs.push(watched);
  for (let i = 0; i < 3; i++) runs.push(await startRun({ spec: parallel, input: { pause: 3 } }));
  runs.push(await startRun({ spec: fixAndTest, input: { repo: sampleRepo } }));
  watcher = new Watcher([cluster.apiUrls[1] as string, cluster.apiUrls[0] as string], watched);
  watcher.connect();
  await waitUntil(() => (watcher?.last ?? -1) >= 0, {
    timeoutMs: 30_000,
    what: 'the watcher to see the run',
  });
  await waitUntil(
    async () =>
      (await getRun(cluster.apiUrls[0] as string, watched)).steps.some((s) => s.status === 'running'),
    {
      timeoutMs: 60_000,
      everyMs: 250,
      what: 'a step of the watched run to be running',
    },
  );

  // 1. A worker of the tools pool dies mid-step; the other takes its work (and the supervisor restarts it).
  await kill9('worker:tools#1');
  // 2. The API process the client watches through dies; the client moves to the other.
  await kill9('api#2');
  await waitUntil(() => (watcher?.reconnects ?? 0) > 0, {
    timeoutMs: 30_000,
    what: 'the watcher to reconnect',
  });
  runs.push(await startRun({ spec: parallel, input: { pause: 2 } }));

  // 3. PostgreSQL restarts: Temporal's store and Troupe's own go away for a moment.
  const [version] = readdirSync('/etc/postgresql');
  await execute('pg_ctlcluster', ['--skip-systemctl-redirect', version as string, 'main', 'restart'], {
    timeout: 120_000,
  });
  runs.push(await startRun({ spec: parallel, input: { pause: 2 } }));

  // 4. Temporal Server dies and the supervisor starts it again.
  await kill9('temporal-server');
  runs.push(await startRun({ spec: fixAndTest, input: { repo: sampleRepo } }));

  const ended = [];
  for (const runId of runs) ended.push(await waitClosed(cluster.apiUrls[0] as string, runId, 300_000));
  const finished = ended.filter((run) => run.status === 'completed').length;
  const listed = new Set((await cluster.workflowList()).map((w) => w.execution.workflowId));
  const lost = runs.filter((runId) => !listed.has(runId)).length;
  // Let the watcher take the last delta of its run, which ended long ago.
  await waitUntil(
    async () => (watcher?.last ?? -1) >= (await getRun(cluster.apiUrls[0] as string, watched)).version,
    {
      timeoutMs: 30_000,
      what: 'the watcher to see the watched run end',
    },
  );
  console.log(
    `cluster faults: runs started ${runs.length}, finished ${finished}, lost ${lost}; watching client: ` +
      `${watcher.reconnects} reconnects, ${watcher.gaps} gaps, ${watcher.duplicates} duplicates`,
  );
  expect(
    ended.map((run) => [run.runId, run.status, run.error]),
    cluster.output.slice(-4000),
  ).toEqual(runs.map((runId) => [runId, 'completed', undefined]));
  expect(lost).toBe(0);
  expect(watcher.gaps).toBe(0);
  expect(watcher.duplicates).toBe(0);
  for (const part of ['worker:tools#1', 'api#2', 'temporal-server']) {
    expect(await cluster.restartsOf(part), part).toBeGreaterThan(0);
  }
}, 900_000);
