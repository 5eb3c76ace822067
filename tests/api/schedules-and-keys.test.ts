import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { readFile } from 'node:fs/promises';
import { io } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashKey } from '../../src/api/api-keys';
import { sqliteStorePath } from '../../src/store/store';
import { startApiServerForTest, waitUntil, type Api } from '../helpers/harness';
import { startStack, type Stack } from '../helpers/stack';

let stack: Stack;
let env: TestWorkflowEnvironment;
let api: Api;

beforeAll(async () => {
  stack = await startStack('schedules and keys', { server: true });
  ({ env, api } = stack);
});

afterAll(() => stack?.stop());

const request = async (base: string, method: string, path: string, body?: unknown, key?: string) => {
  const response = await fetch(`${base}${path}`, {
    method,
    headers: {
      ...(body !== undefined && { 'content-type': 'application/json' }),
      ...(key && { authorization: `Bearer ${key}` }),
    },
    ...(body !== undefined && { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  return {
    status: response.status,
    type: response.headers.get('content-type') ?? '',
    body: text ? JSON.parse(text) : undefined,
  };
};
const call = (method: string, path: string, body?: unknown) => request(api.baseUrl, method, path, body);

// A shell step: scheduled run ids carry Temporal's timestamp suffix, with colons, and still get a workspace.
const quickSpec = {
  name: 'tick',
  description: 'a scheduled tick',
  steps: [{ id: 'say', kind: 'tool', tool: 'shell', with: { run: 'printf tick' } }],
};

describe('schedules', () => {
  it('runs a saved spec every 2 s, and pauses, triggers, backfills, updates and deletes the schedule', async () => {
    expect((await call('POST', '/api/specs', { spec: quickSpec })).status).toBe(201);
    const created = await call('POST', '/api/schedules', {
      id: 'every-two',
      specName: 'tick',
      every: '2s',
      overlap: 'buffer-one',
      catchupWindow: '1m',
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      id: 'every-two',
      specName: 'tick',
      paused: false,
      every: ['2s'],
      overlap: 'buffer-one',
      catchupWindowMs: 60_000,
    });
    expect(created.body.nextRuns.length).toBeGreaterThan(0);

    await waitUntil(async () => (await call('GET', '/api/schedules/every-two')).body.recentRuns.length >= 2, {
      timeoutMs: 20_000,
      everyMs: 300,
    });
    await waitUntil(
      async () => {
        return (await call('GET', '/api/runs?status=completed&q=scheduled')).body.runs.length >= 2;
      },
      { timeoutMs: 20_000, everyMs: 300 },
    );
    const { body: described } = await call('GET', '/api/schedules/every-two');
    const runId = described.recentRuns[0].runId as string;
    expect(runId.startsWith('every-two')).toBe(true);
    expect(described.runsStarted).toBeGreaterThanOrEqual(described.recentRuns.length);
    expect((await call('GET', `/api/runs/${runId}`)).body.status).toBe('completed');

    const paused = await call('POST', '/api/schedules/every-two/pause', { note: 'testing' });
    expect(paused.body).toMatchObject({ paused: true, note: 'testing' });
    const before = paused.body.runsStarted as number;
    // "Trigger now" starts a run while the schedule is paused, even with a scheduled run still going.
    const triggered = await call('POST', '/api/schedules/every-two/trigger');
    expect(triggered).toMatchObject({ status: 202, body: { triggered: true, overlap: 'allow-all' } });
    // The schedule's own workflow takes the trigger: on a loaded machine that can take tens of seconds.
    await waitUntil(async () => (await call('GET', '/api/schedules/every-two')).body.runsStarted > before, {
      timeoutMs: 60_000,
      everyMs: 300,
      what: 'the triggered run to start',
    });
    const refused = await call('POST', '/api/schedules/every-two/trigger', { overlap: 'sometimes' });
    expect(refused.status).toBe(400);
    expect(refused.body.errors[0].path).toBe('overlap');

    const end = new Date();
    const start = new Date(end.getTime() - 5_000);
    const backfill = await call('POST', '/api/schedules/every-two/backfill', {
      start: start.toISOString(),
      end: end.toISOString(),
    });
    expect(backfill.status).toBe(202);

    const updated = await call('PUT', '/api/schedules/every-two', {
      specName: 'tick',
      cron: ['0 3 * * *'],
      paused: true,
    });
    expect(updated.body).toMatchObject({ cron: ['0 3 * * *'], every: [], paused: true, overlap: 'skip' });
    expect((await call('POST', '/api/schedules/every-two/unpause')).body.paused).toBe(false);
    expect(
      ((await call('GET', '/api/schedules')).body.schedules as { id: string }[]).map(
        (schedule) => schedule.id,
      ),
    ).toEqual(['every-two']);
    expect((await call('DELETE', '/api/schedules/every-two')).status).toBe(204);
    expect((await call('GET', '/api/schedules/every-two')).status).toBe(404);
  }, 120_000);

  it('refuses schedules without timing, with unknown specs, taken ids and backwards backfills', async () => {
    const noTiming = await call('POST', '/api/schedules', { id: 'x', specName: 'tick' });
    expect(noTiming.status).toBe(400);
    expect(noTiming.body.errors[0].path).toBe('every');
    const badOverlap = await call('POST', '/api/schedules', {
      id: 'x',
      specName: 'tick',
      every: '1h',
      overlap: 'sometimes',
    });
    expect(badOverlap.body.errors[0].path).toBe('overlap');
    expect((await call('POST', '/api/schedules', { id: 'x', specName: 'missing', every: '1h' })).status).toBe(
      404,
    );
    expect(
      (await call('POST', '/api/schedules', { id: 'hourly', specName: 'tick', every: '1h', paused: true }))
        .status,
    ).toBe(201);
    expect(
      (await call('POST', '/api/schedules', { id: 'hourly', specName: 'tick', every: '1h' })).status,
    ).toBe(409);
    const now = new Date().toISOString();
    const backwards = await call('POST', '/api/schedules/hourly/backfill', {
      start: now,
      end: new Date(Date.now() - 1000).toISOString(),
    });
    expect(backwards.status).toBe(400);
    expect((await call('POST', '/api/schedules/none/trigger')).status).toBe(404);
    expect((await call('DELETE', '/api/schedules/hourly')).status).toBe(204);
  });
});

describe('API keys', () => {
  it('makes the local admin key at first start without printing it, and refuses calls without a key or with too small a scope', async () => {
    const secured = await startApiServerForTest(env, 'schedules and keys', {
      apiEnv: { TROUPE_AUTH: 'required' },
    });
    try {
      const admin = (await readFile(`${secured.config.TROUPE_DATA_DIR}/local-key`, 'utf8')).trim();
      expect(admin).toMatch(/^troupe_[A-Za-z0-9_-]{43}$/);
      expect(secured.lines.join('\n')).not.toContain(admin);
      expect(secured.lines.join('\n')).toContain('made the local admin key');
      // The state store (SQLite here, its WAL too) holds the key's hash, never the key.
      const db = sqliteStorePath(secured.config.TROUPE_DATA_DIR);
      const stored = (
        await Promise.all([db, `${db}-wal`].map((path) => readFile(path).catch(() => Buffer.alloc(0))))
      ).map((bytes) => bytes.toString('latin1'));
      expect(stored.join('')).toContain(hashKey(admin));
      expect(stored.join('')).not.toContain(admin);

      const anonymous = await request(secured.baseUrl, 'GET', '/api/runs');
      expect(anonymous.status).toBe(401);
      expect(anonymous.type).toContain('application/problem+json');
      expect((await request(secured.baseUrl, 'GET', '/api/runs', undefined, 'troupe_wrong')).status).toBe(
        401,
      );
      expect((await request(secured.baseUrl, 'GET', '/healthz')).status).toBe(200);

      const reader = await request(
        secured.baseUrl,
        'POST',
        '/api/keys',
        { name: 'dashboard', scopes: ['read'] },
        admin,
      );
      expect(reader.status).toBe(201);
      const readKey = reader.body.key as string;
      expect((await request(secured.baseUrl, 'GET', '/api/runs', undefined, readKey)).status).toBe(200);
      const validated = await request(
        secured.baseUrl,
        'POST',
        '/api/specs/validate',
        { spec: quickSpec },
        readKey,
      );
      expect(validated.status).toBe(200);
      expect(
        (await request(secured.baseUrl, 'POST', '/api/specs', { spec: quickSpec }, readKey)).status,
      ).toBe(403);
      expect((await request(secured.baseUrl, 'GET', '/metrics')).status).toBe(401);
      const refused = await request(secured.baseUrl, 'POST', '/api/runs', { spec: quickSpec }, readKey);
      expect(refused.status).toBe(403);
      expect(refused.body.detail).toContain('needs "run"');
      expect(
        (await request(secured.baseUrl, 'POST', '/api/keys', { name: 'x', scopes: ['admin'] }, readKey))
          .status,
      ).toBe(403);
      expect((await request(secured.baseUrl, 'POST', '/api/runs', { spec: quickSpec }, admin)).status).toBe(
        201,
      );

      const anonymousSocket = io(secured.baseUrl, { transports: ['websocket'], reconnection: false });
      const refusal = await new Promise<Error>((resolve) => anonymousSocket.once('connect_error', resolve));
      expect(refusal.message).toContain('API key');
      anonymousSocket.close();
      const keyedSocket = io(secured.baseUrl, {
        transports: ['websocket'],
        reconnection: false,
        auth: { token: readKey },
      });
      await new Promise<void>((resolve) => keyedSocket.once('connect', () => resolve()));
      keyedSocket.close();

      const again = await startApiServerForTest(env, 'schedules and keys', {
        apiEnv: { TROUPE_AUTH: 'required' },
        dataDir: secured.config.TROUPE_DATA_DIR,
      });
      expect(again.lines.join('\n')).not.toContain('made the local admin key');
      expect((await readFile(`${secured.config.TROUPE_DATA_DIR}/local-key`, 'utf8')).trim()).toBe(admin);
      await again.close();
    } finally {
      await secured.close();
    }
  });
});

describe('browser and abuse protections', () => {
  it('answers CORS only for the UI origin, sets security headers and limits the request rate', async () => {
    const guarded = await startApiServerForTest(env, 'schedules and keys', {
      apiEnv: { TROUPE_UI_ORIGIN: 'http://127.0.0.1:5173', TROUPE_RATE_LIMIT: '5' },
    });
    try {
      const preflight = (origin: string) =>
        fetch(`${guarded.baseUrl}/api/runs`, {
          method: 'OPTIONS',
          headers: { origin, 'access-control-request-method': 'POST' },
        });
      const allowed = await preflight('http://127.0.0.1:5173');
      expect(allowed.headers.get('access-control-allow-origin')).toBe('http://127.0.0.1:5173');
      const refused = await preflight('http://evil.example');
      expect(refused.headers.get('access-control-allow-origin')).toBeNull();
      const plain = await fetch(`${guarded.baseUrl}/healthz`);
      expect(plain.headers.get('x-content-type-options')).toBe('nosniff');
      const statuses: number[] = [];
      for (let index = 0; index < 4; index += 1)
        statuses.push((await fetch(`${guarded.baseUrl}/api/specs`)).status);
      expect(statuses.at(-1)).toBe(429);
      const limited = await fetch(`${guarded.baseUrl}/api/specs`);
      expect(limited.headers.get('content-type')).toContain('application/problem+json');
    } finally {
      await guarded.close();
    }
  });
});
