import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readExample, waitUntil } from '../helpers/harness';
import { testPayloadEnv } from '../helpers/payload-codec';
import { startTestTemporal } from '../helpers/temporal';
import { ensureUiBuilt, expectAccessible, launchChromium, openPage, screenshot } from './pages-browser';
import { freePort } from './ui-stack';

/**
 * `npm start` as people run it, keys on (the default): the console is reached through the one-time
 * link it prints, and without that link the console says how to sign in.
 */
let temporal: TestWorkflowEnvironment;
let troupe: ChildProcess | undefined;
let browser: Browser;
let base: string;
/** The same API for fetches from Node, by address (the API listens on 127.0.0.1 only). */
let direct: string;
let link: string;
const lines: string[] = [];

beforeAll(async () => {
  ensureUiBuilt();
  [temporal, browser] = await Promise.all([startTestTemporal(), launchChromium()]);
  const port = await freePort();
  direct = `http://127.0.0.1:${port}`;
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    ...testPayloadEnv,
    TEMPORAL_ADDRESS: temporal.address,
    PORT: String(port),
    HOST: '127.0.0.1',
    TROUPE_TASK_QUEUE: 'test-ui-auth',
    TROUPE_DATA_DIR: await mkdtemp(join(tmpdir(), 'troupe-ui-auth-')),
  };
  delete env.TROUPE_AUTH;
  troupe = spawn(
    process.execPath,
    ['--import', 'tsx', fileURLToPath(new URL('../../src/start.ts', import.meta.url))],
    {
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  const collect = (chunk: Buffer) => lines.push(...chunk.toString().split('\n'));
  troupe.stdout?.on('data', collect);
  troupe.stderr?.on('data', collect);
  await waitUntil(() => lines.some((line) => line.includes('Troupe is up.')) || troupe?.exitCode !== null, {
    timeoutMs: 200_000,
    everyMs: 250,
    what: 'npm start to report that Troupe is up',
  });
  expect(troupe.exitCode, lines.join('\n')).toBeNull();
  const printed = lines.find((line) => line.includes('Console'))?.match(/(http:\/\/\S+\/\?key=\S+)/)?.[1];
  expect(printed, lines.join('\n')).toBeDefined();
  link = printed ?? '';
  // The browser goes where npm start points it (localhost), on the port it was given.
  expect(new URL(link).port).toBe(String(port));
  base = new URL(link).origin;
}, 240_000);

afterAll(async () => {
  await browser?.close();
  if (troupe && troupe.exitCode === null) {
    const exited = new Promise((resolve) => troupe?.once('exit', resolve));
    troupe.kill('SIGTERM');
    await exited;
  }
  await temporal?.teardown();
});

describe('signing in to the console that npm start serves', () => {
  it('without the link, says how to sign in instead of showing a broken page', async () => {
    const page = await openPage(browser, base);
    await page.goto('/');
    const notice = page.getByTestId('sign-in-needed');
    await notice.waitFor({ timeout: 30_000 });
    expect(await notice.textContent()).toContain('npm start');
    expect(await notice.textContent()).toContain('/?key=');
    expect(await page.getByTestId('problem').count()).toBe(0);
    expect(await page.getByTestId('api-unreachable').count()).toBe(0);
    await expectAccessible(page);
    await screenshot(page, 'sign-in-needed');
    await page.context().close();
  }, 120_000);

  it('the printed one-time link sets the session cookie, and the console then works, live', async () => {
    const page = await openPage(browser, base);
    await page.goto(link);
    await page.waitForURL(`${base}/runs`);
    const cookies = await page.context().cookies(base);
    const session = cookies.find((cookie) => cookie.name === 'troupe_session');
    expect(session?.httpOnly).toBe(true);
    expect(session?.sameSite).toBe('Strict');
    expect(await page.getByTestId('sign-in-needed').count()).toBe(0);
    await page.getByTestId('empty-state').waitFor({ timeout: 30_000 });

    // The session cookie is all the page carries: a run started from the page's own origin shows up live.
    const spec = await readExample('hello.yaml');
    const started = await page.evaluate(
      async (body) => {
        const response = await fetch('/api/runs', {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(body),
        });
        return { status: response.status, body: (await response.json()) as { runId?: string } };
      },
      { spec, input: { name: 'cookie' } },
    );
    expect(started.status, JSON.stringify(started.body)).toBe(201);
    const runId = started.body.runId ?? '';
    await page.goto(`/runs/${encodeURIComponent(runId)}`);
    await waitUntil(
      async () =>
        (await page.locator('[data-step-id="measure"]').getAttribute('data-step-status')) === 'completed',
      { timeoutMs: 60_000, what: 'the run to complete on its page' },
    );
    expect(await page.getByText('Hello, cookie! (14 characters)').count()).toBeGreaterThan(0);
    await page.context().close();

    // The link is used up: a second browser gets the API's reason, not a session.
    const again = await fetch(`${direct}/${new URL(link).search}`, {
      redirect: 'manual',
      headers: { accept: 'text/html' },
    });
    expect(again.status).toBe(401);
    expect(await again.text()).toContain('login link is used up');
    expect(again.headers.get('set-cookie')).toBeNull();
  }, 180_000);

  it('the CLI key from the data folder works for the API, while the console stays behind the sign-in', async () => {
    const keyFile = String(
      lines.find((line) => line.includes('local key'))?.match(/local key in (\S+)/)?.[1] ?? '',
    );
    expect(keyFile).not.toBe('');
    const key = (await readFile(keyFile, 'utf8')).trim();
    const listed = await fetch(`${direct}/api/runs`, { headers: { authorization: `Bearer ${key}` } });
    expect(listed.status).toBe(200);
    const anonymous = await fetch(`${direct}/api/runs`);
    expect(anonymous.status).toBe(401);
  }, 60_000);
});
