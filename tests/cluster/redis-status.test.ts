import type { ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtemp } from 'node:fs/promises';
import { connect, createServer, type AddressInfo, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { loadAgentRegistry } from '../../src/agents/registry';
import { connectRedis } from '../../src/redis';
import { spawnWorker, startApiServerForTest, waitUntil, type Api } from '../helpers/harness';
import { startTestTemporal } from '../helpers/temporal';

const REDIS_URL = 'redis://127.0.0.1:6379';
// A prefix of this run's own, and a short TTL so a killed worker is gone within a couple of seconds.
const prefix = `troupe-test:${randomUUID()}`;
const ttlMs = 1500;
const statusEnv = { REDIS_URL, TROUPE_STATUS_KEY_PREFIX: prefix, TROUPE_STATUS_TTL_MS: String(ttlMs) };

let env: TestWorkflowEnvironment;
let api: Api;
const workers: ChildProcess[] = [];

type Process = { host: string; pid: number; pools: string[]; lastSeen: string };

beforeAll(async () => {
  env = await startTestTemporal();
  api = await startApiServerForTest(env, 'redis status', {
    apiEnv: statusEnv,
    agents: await loadAgentRegistry(),
  });
}, 120_000);

afterAll(async () => {
  for (const worker of workers)
    if (worker.exitCode === null && worker.signalCode === null) worker.kill('SIGKILL');
  await api?.close();
  await env?.teardown();
  const client = await connectRedis(REDIS_URL, 'the cleanup');
  for await (const keys of client.scanIterator({ MATCH: `${prefix}:*` }))
    if (keys.length > 0) await client.del(keys);
  await client.close();
});

async function processes(): Promise<{ statusStore: string; processes: Process[]; statusErrors?: string[] }> {
  const response = await fetch(`${api.baseUrl}/api/agents`);
  expect(response.status).toBe(200);
  return (await response.json()) as { statusStore: string; processes: Process[] };
}

async function workerProcesses(): Promise<Record<string, number>> {
  const text = await (await fetch(`${api.baseUrl}/metrics`)).text();
  const counts: Record<string, number> = {};
  for (const [, pool, n] of text.matchAll(/^troupe_worker_processes\{pool="([^"]+)"\} (\d+)$/gm))
    counts[pool!] = Number(n);
  return counts;
}

it('shows worker processes that share only Redis in /api/agents and /metrics, and drops a killed one within the TTL', async () => {
  // Each worker has a data dir of its own, unlike the API's: only Redis can carry their status.
  for (const pool of ['tools', 'agents']) {
    workers.push(
      spawnWorker(env, api, {
        ...statusEnv,
        TROUPE_POOL: pool,
        TROUPE_DATA_DIR: await mkdtemp(join(tmpdir(), `troupe-${pool}-host-`)),
      }),
    );
  }
  const [tools, agents] = workers as [ChildProcess, ChildProcess];

  await waitUntil(async () => (await processes()).processes.length === 2, {
    timeoutMs: 90_000,
    everyMs: 250,
    what: 'both worker processes in /api/agents',
  });
  const both = await processes();
  expect(both.statusStore).toBe('redis');
  expect(both.statusErrors).toBeUndefined();
  expect(both.processes.map(({ pid, pools }) => ({ pid, pools })).sort((a, b) => a.pid - b.pid)).toEqual(
    [
      { pid: tools.pid, pools: ['tools'] },
      { pid: agents.pid, pools: ['agents'] },
    ].sort((a, b) => a.pid! - b.pid!),
  );
  for (const { lastSeen } of both.processes)
    expect(Date.now() - Date.parse(lastSeen)).toBeLessThan(ttlMs + 1000);
  expect(await workerProcesses()).toEqual({ tools: 1, agents: 1 });

  // Killed, the tools worker cannot remove its entry: it expires with its TTL.
  tools.kill('SIGKILL');
  const killedAt = Date.now();
  await waitUntil(async () => (await processes()).processes.length === 1, {
    timeoutMs: 10_000,
    everyMs: 100,
    what: 'the killed worker to leave /api/agents',
  });
  const goneAfterMs = Date.now() - killedAt;
  console.log(`redis status: the killed worker left /api/agents after ${goneAfterMs} ms (TTL ${ttlMs} ms)`);
  expect(goneAfterMs).toBeLessThanOrEqual(ttlMs + 500);
  expect((await processes()).processes.map(({ pid }) => pid)).toEqual([agents.pid]);
  expect(await workerProcesses()).toEqual({ agents: 1 });
}, 180_000);

it('answers /api/agents and /metrics while Redis is away, saying the status could not be read', async () => {
  // A TCP proxy to Redis that the test can cut, as an outage looks to the API.
  const sockets = new Set<Socket>();
  const proxy = createServer((inbound) => {
    const outbound = connect(6379, '127.0.0.1');
    for (const socket of [inbound, outbound]) {
      sockets.add(socket);
      socket.on('error', () => undefined);
      socket.on('close', () => sockets.delete(socket));
    }
    inbound.pipe(outbound).pipe(inbound);
  });
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  const { port } = proxy.address() as AddressInfo;
  const cut = await startApiServerForTest(env, 'redis status outage', {
    apiEnv: { ...statusEnv, REDIS_URL: `redis://127.0.0.1:${port}` },
    agents: await loadAgentRegistry(),
  });
  try {
    const before = await fetch(`${cut.baseUrl}/api/agents`);
    expect(before.status).toBe(200);
    expect(((await before.json()) as { statusErrors?: string[] }).statusErrors).toBeUndefined();

    proxy.close();
    for (const socket of sockets) socket.destroy();
    const during = await fetch(`${cut.baseUrl}/api/agents`);
    expect(during.status).toBe(200);
    const body = (await during.json()) as {
      agents: unknown[];
      statusErrors?: string[];
      processes: unknown[];
    };
    expect(body.agents.length).toBeGreaterThan(0);
    expect(body.processes).toEqual([]);
    expect(body.statusErrors?.join(' ')).toMatch(/status from Redis is unavailable/);
    const metrics = await fetch(`${cut.baseUrl}/metrics`);
    expect(metrics.status).toBe(200);
    expect(await metrics.text()).toMatch(/^troupe_status_store_up\{store="redis"\} 0$/m);

    // Redis back: the status store reconnects and the answer no longer reports an error.
    await new Promise<void>((resolve) => proxy.listen(port, '127.0.0.1', resolve));
    await waitUntil(
      async () =>
        ((await (await fetch(`${cut.baseUrl}/api/agents`)).json()) as { statusErrors?: string[] })
          .statusErrors === undefined,
      { timeoutMs: 20_000, everyMs: 250, what: 'the status store to reconnect' },
    );
  } finally {
    await cut.close().catch(() => undefined);
    proxy.close();
    for (const socket of sockets) socket.destroy();
  }
}, 60_000);
