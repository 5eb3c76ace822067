import { request as httpRequest } from 'node:http';
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { io, type Socket } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLoginToken } from '../../src/api/login-links';
import { startApiServerForTest, type Api } from '../helpers/harness';
import { startStack, type Stack } from '../helpers/stack';

let stack: Stack;
let api: Api & { lines: string[] };
let localKey: string;
let port: number;

beforeAll(async () => {
  stack = await startStack('api attacks');
  api = await startApiServerForTest(stack.env, 'api attacks', {
    apiEnv: { TROUPE_AUTH: 'required' },
    dataDir: stack.api.config.TROUPE_DATA_DIR,
  });
  localKey = (await readFile(`${api.config.TROUPE_DATA_DIR}/local-key`, 'utf8')).trim();
  port = Number(new URL(api.baseUrl).port);
});
afterAll(async () => {
  await api?.close();
  await stack?.stop();
});

type Answer = { status: number; headers: Record<string, string | string[] | undefined>; body: string };

/** A request with exactly these headers (Host included), as a hostile page or tool would send it. */
function send(
  method: string,
  path: string,
  headers: Record<string, string> = {},
  body?: string,
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      { host: '127.0.0.1', port, method, path, headers: { host: `127.0.0.1:${port}`, ...headers } },
      (res) => {
        let text = '';
        res.on('data', (chunk: Buffer) => (text += chunk.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

const bearer = (key: string) => ({ authorization: `Bearer ${key}` });
const json = { 'content-type': 'application/json' };
const quickSpec =
  'name: quick\nsteps:\n  - id: a\n    kind: tool\n    tool: shell\n    with:\n      run: "true"\n';

/** Connects over a WebSocket only; resolves with the refusal's message, or "connected". */
function connect(options: { token?: string; headers?: Record<string, string> }): Promise<string> {
  const socket: Socket = io(api.baseUrl, {
    transports: ['websocket'],
    reconnection: false,
    timeout: 5000,
    ...(options.token && { auth: { token: options.token } }),
    ...(options.headers && { extraHeaders: options.headers }),
  });
  return new Promise<string>((resolve) => {
    socket.once('connect', () => resolve('connected'));
    socket.once('connect_error', (err) =>
      resolve(`refused: ${err.message} ${JSON.stringify((err as { context?: unknown }).context ?? '')}`),
    );
  }).finally(() => socket.close());
}

describe('the API over HTTP', () => {
  it('answers 401 without a key, on loopback too, and with a wrong or made-up key', async () => {
    const anonymous = await fetch(`http://localhost:${port}/api/runs`);
    expect(anonymous.status).toBe(401);
    expect(((await anonymous.json()) as { detail: string }).detail).toContain('local-key');
    expect(
      (await send('GET', '/api/runs', bearer(`troupe_${randomBytes(32).toString('base64url')}`))).status,
    ).toBe(401);
    expect((await send('GET', '/api/no-such-route')).status).toBe(401);
    expect((await send('GET', '/metrics')).status).toBe(401);
    expect((await send('GET', '/api/runs', bearer(localKey))).status).toBe(200);
  });

  it('refuses a Host header that is not one of its names, as a DNS-rebinding page sends', async () => {
    for (const host of [`evil.example:${port}`, `127.0.0.1.nip.io:${port}`, `[::2]:${port}`]) {
      const answer = await send('GET', '/api/runs', { ...bearer(localKey), host });
      expect(answer.status, host).toBe(403);
      expect(answer.body).toContain('is not a name of this API');
    }
    expect((await send('GET', '/healthz', { host: `rebind.example:${port}` })).status).toBe(403);
    expect((await send('GET', '/api/runs', { ...bearer(localKey), host: `localhost:${port}` })).status).toBe(
      200,
    );
  });

  it('refuses a state-changing request from a foreign Origin, even with a valid key', async () => {
    const body = JSON.stringify({ spec: quickSpec });
    const foreign = await send(
      'POST',
      '/api/runs',
      { ...bearer(localKey), ...json, origin: 'http://evil.example' },
      body,
    );
    expect(foreign.status).toBe(403);
    expect((JSON.parse(foreign.body) as { detail: string }).detail).toContain(
      '"http://evil.example" are not allowed',
    );
    expect(
      (await send('POST', '/api/runs', { ...bearer(localKey), ...json, origin: 'null' }, body)).status,
    ).toBe(403);
    const own = await send(
      'POST',
      '/api/runs',
      { ...bearer(localKey), ...json, origin: `http://127.0.0.1:${port}` },
      body,
    );
    expect(own.status).toBe(201);
  });

  it('trades the one-time link for an HttpOnly, SameSite=Strict session cookie that works once', async () => {
    const token = await createLoginToken(api.config.TROUPE_DATA_DIR);
    const login = await send('GET', `/?key=${token}`);
    expect(login.status).toBe(303);
    expect(login.headers.location).toBe('/');
    const cookie = String(login.headers['set-cookie']);
    expect(cookie).toMatch(/^troupe_session=troupe_[A-Za-z0-9_-]+;/);
    expect(cookie).toContain('HttpOnly');
    expect(cookie).toContain('SameSite=Strict');
    expect((await send('GET', `/?key=${token}`)).status).toBe(401);
    const session = cookie.split(';')[0] ?? '';
    expect((await send('GET', '/api/runs', { cookie: session })).status).toBe(200);
    expect(await connect({ headers: { cookie: session } })).toBe('connected');
  });

  it('stops a revoked key at once in every API process sharing the data folder', async () => {
    const other = await startApiServerForTest(stack.env, 'api attacks', {
      apiEnv: { TROUPE_AUTH: 'required' },
      dataDir: api.config.TROUPE_DATA_DIR,
    });
    try {
      const made = await send(
        'POST',
        '/api/keys',
        { ...bearer(localKey), ...json },
        JSON.stringify({ name: 'ci', scopes: ['read'] }),
      );
      const { key, record } = JSON.parse(made.body) as { key: string; record: { id: string } };
      expect((await fetch(`${other.baseUrl}/api/runs`, { headers: bearer(key) })).status).toBe(200);
      expect((await send('DELETE', `/api/keys/${record.id}`, bearer(localKey))).status).toBe(204);
      expect((await fetch(`${other.baseUrl}/api/runs`, { headers: bearer(key) })).status).toBe(401);
    } finally {
      await other.close();
    }
  });

  it('counts made-up tokens against the caller’s address, so changing the token does not escape the limit', async () => {
    const limited = await startApiServerForTest(stack.env, 'api attacks', {
      apiEnv: { TROUPE_AUTH: 'required', TROUPE_RATE_LIMIT: '5' },
      dataDir: api.config.TROUPE_DATA_DIR,
    });
    try {
      const statuses: number[] = [];
      for (let index = 0; index < 7; index += 1) {
        const response = await fetch(`${limited.baseUrl}/api/runs`, {
          headers: bearer(`troupe_guess${index}`),
        });
        statuses.push(response.status);
      }
      expect(statuses.slice(0, 5)).toEqual([401, 401, 401, 401, 401]);
      expect(statuses.at(-1)).toBe(429);
      // A verified key has its own budget.
      expect((await fetch(`${limited.baseUrl}/api/runs`, { headers: bearer(localKey) })).status).toBe(200);
    } finally {
      await limited.close();
    }
  });
});

describe('the API over a Socket.IO WebSocket', () => {
  it('refuses a handshake without a key or with a wrong one', async () => {
    expect(await connect({})).toMatch(/^refused: send an API key/);
    expect(await connect({ token: 'troupe_wrong' })).toMatch(/^refused: the API key is not known/);
    expect(await connect({ token: localKey })).toBe('connected');
  });

  it('refuses a handshake with a wrong Host header or a foreign Origin, even with a valid key', async () => {
    expect(await connect({ token: localKey, headers: { host: `evil.example:${port}` } })).toMatch(/^refused/);
    expect(await connect({ token: localKey, headers: { origin: 'http://evil.example' } })).toMatch(
      /^refused/,
    );
    expect(await connect({ token: localKey, headers: { origin: `http://127.0.0.1:${port}` } })).toBe(
      'connected',
    );
    // The same handshake over HTTP says why.
    const handshake = '/socket.io/?EIO=4&transport=polling';
    const byHost = await send('GET', handshake, { host: `evil.example:${port}` });
    expect(byHost.status).toBe(403);
    expect(byHost.body).toContain('is not a name of this API');
    const byOrigin = await send('GET', handshake, { origin: 'http://evil.example' });
    expect(byOrigin.status).toBe(403);
    expect(byOrigin.body).toContain('are not allowed');
  });
});

describe('the codec endpoint', () => {
  it('decodes only for a caller with a key, and lets Temporal Web send its session cookie', async () => {
    const body = JSON.stringify({ payloads: [] });
    expect((await send('POST', '/api/codec/decode', json, body)).status).toBe(401);
    const preflight = await send('OPTIONS', '/api/codec/decode', {
      origin: 'http://localhost:8233',
      'access-control-request-method': 'POST',
      'access-control-request-headers': 'content-type,x-namespace',
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers['access-control-allow-origin']).toBe('http://localhost:8233');
    expect(preflight.headers['access-control-allow-credentials']).toBe('true');
    const evil = await send('OPTIONS', '/api/codec/decode', {
      origin: 'http://evil.example',
      'access-control-request-method': 'POST',
    });
    expect(evil.headers['access-control-allow-origin']).toBeUndefined();
    const decoded = await send(
      'POST',
      '/api/codec/decode',
      { ...json, ...bearer(localKey), origin: 'http://localhost:8233' },
      body,
    );
    expect(decoded.status).toBe(200);
    expect(JSON.parse(decoded.body)).toEqual({ payloads: [] });
    expect(
      (
        await send(
          'POST',
          '/api/codec/decode',
          { ...json, ...bearer(localKey), origin: 'http://evil.example' },
          body,
        )
      ).status,
    ).toBe(403);
  });
});
