import { mkdtemp } from 'node:fs/promises';
import { ApiConfig } from '../../src/api/api-config';
import type { Server } from 'node:http';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, type Connection } from '@temporalio/client';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createApp } from '../../src/api/app';
import { connectApiToTemporal } from '../../src/api/temporal-connection';
import { Config } from '../../src/config';
import { startDevServer, type DevServer } from '../../temporal/dev-server';
import { readExample, waitUntil } from '../helpers/harness';
import { testQueue } from '../helpers/temporal';

let temporal: DevServer | undefined;
let connection: Connection;
let server: Server;
let baseUrl: string;
let options: Parameters<typeof startDevServer>[0];

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const probe = createServer().listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}

beforeAll(async () => {
  const dataDir = await mkdtemp(join(tmpdir(), 'troupe-temporal-down-'));
  options = { dataDir, port: await freePort(), uiPort: await freePort(), namespace: 'default' };
  temporal = await startDevServer(options);
  const config = Config.parse({
    TEMPORAL_ADDRESS: temporal.address,
    TROUPE_TASK_QUEUE: testQueue('temporal down'),
    TROUPE_DATA_DIR: dataDir,
  });
  connection = await connectApiToTemporal(temporal.address);
  const client = new Client({ connection, namespace: config.TEMPORAL_NAMESPACE });
  server = createApp({ client, config, api: ApiConfig.parse({ TROUPE_AUTH: 'off' }) }).listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}, 120_000);

afterAll(async () => {
  server?.closeAllConnections();
  server?.close();
  await connection?.close();
  await temporal?.stop();
});

async function timed(path: string, init: RequestInit = {}) {
  const started = performance.now();
  const response = await fetch(`${baseUrl}${path}`, init);
  const body = (await response.json()) as { status: number; detail: string };
  return { response, body, ms: performance.now() - started };
}

it('answers 503 with Retry-After within 2 s while Temporal is down, and recovers when it is back', async () => {
  expect((await timed('/api/runs/x')).response.status).toBe(404);
  await temporal?.stop();
  temporal = undefined;

  const spec = await readExample('hello.yaml');
  const post = { method: 'POST', headers: { 'content-type': 'application/json' } };
  const calls: [string, RequestInit][] = [
    ['/api/runs/x', {}],
    ['/api/runs', { ...post, body: JSON.stringify({ spec, input: { name: 'x' } }) }],
    ['/api/runs', {}],
    ['/api/runs/x/pause', post],
    ['/api/schedules', {}],
    ['/healthz', {}],
  ];
  for (const [path, init] of calls) {
    const { response, body, ms } = await timed(path, init);
    const what = `${init.method ?? 'GET'} ${path}`;
    expect({ what, status: response.status }).toEqual({ what, status: 503 });
    expect(ms, what).toBeLessThan(2000);
    expect(response.headers.get('retry-after'), what).toMatch(/^\d+$/);
    expect(response.headers.get('content-type'), what).toContain('application/problem+json');
    expect(body.detail, what).toMatch(/Temporal is not reachable/);
  }

  temporal = await startDevServer(options);
  await waitUntil(async () => (await timed('/api/runs/x')).response.status === 404, {
    timeoutMs: 30_000,
    everyMs: 250,
    what: 'the API to reach Temporal again',
  });
}, 120_000);
