import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { io } from 'socket.io-client';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { localKeyFile } from '../../src/api/api-keys';
import { startApiServerForTest, type Api } from '../helpers/harness';
import { startTestTemporal } from '../helpers/temporal';

let env: TestWorkflowEnvironment;
let secured: Api & { lines: string[] };
let open: Api;
let key: string;

beforeAll(async () => {
  env = await startTestTemporal();
  const dataDir = await mkdtemp(join(tmpdir(), 'troupe-handshake-'));
  secured = await startApiServerForTest(env, 'socket handshake', {
    apiEnv: { TROUPE_AUTH: 'required' },
    dataDir,
  });
  open = await startApiServerForTest(env, 'socket handshake open', { apiEnv: { TROUPE_AUTH: 'off' } });
  key = (await readFile(localKeyFile(dataDir), 'utf8')).trim();
});

afterAll(async () => {
  await secured?.close();
  await open?.close();
  await env?.teardown();
});

const pollingHandshake = (api: Api, headers: Record<string, string> = {}) =>
  fetch(`${api.baseUrl}/socket.io/?EIO=4&transport=polling`, { headers });

it('refuses the Engine.IO polling handshake without a key when keys are required, handing out no session id', async () => {
  expect(key).toMatch(/^troupe_/);
  const attempts: Record<string, string>[] = [
    {},
    { authorization: 'Bearer troupe_not-a-key' },
    { authorization: 'Basic x' },
  ];
  for (const headers of attempts) {
    const response = await pollingHandshake(secured, headers);
    const text = await response.text();
    expect(response.status).toBe(403);
    expect(text).not.toContain('sid');
  }
});

it('opens a polling session with a key in the Authorization header, and one without when no key is required', async () => {
  for (const [api, headers] of [
    [secured, { authorization: `Bearer ${key}` }],
    [open, {}],
  ] as const) {
    const response = await pollingHandshake(api, headers);
    expect(response.status).toBe(200);
    expect(await response.text()).toMatch(/"sid":"[^"]+"/);
  }
});

it('connects a polling client that sends its key as a header and as auth, and refuses one without', async () => {
  const keyed = io(secured.baseUrl, {
    transports: ['polling'],
    reconnection: false,
    extraHeaders: { authorization: `Bearer ${key}` },
    auth: { token: key },
  });
  await new Promise<void>((resolve, reject) => {
    keyed.once('connect', () => resolve());
    keyed.once('connect_error', reject);
  });
  keyed.close();
  const anonymous = io(secured.baseUrl, { transports: ['polling'], reconnection: false });
  const refusal = await new Promise<Error>((resolve) => anonymous.once('connect_error', resolve));
  expect(refusal.message).toMatch(/xhr poll error|API key/);
  anonymous.close();
});
