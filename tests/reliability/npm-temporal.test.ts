import { spawn } from 'node:child_process';
import { mkdtemp } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Connection } from '@temporalio/client';
import { expect, it } from 'vitest';
import { waitUntil } from '../helpers/harness';

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const probe = createServer().listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}

it('starts the Temporal dev server with `npm run temporal`, and stops it on SIGINT', async () => {
  const [port, uiPort] = [await freePort(), await freePort()];
  const child = spawn('npm', ['run', '--silent', 'temporal'], {
    cwd: repoRoot,
    env: {
      ...process.env,
      TEMPORAL_PORT: String(port),
      TEMPORAL_UI_PORT: String(uiPort),
      TROUPE_DATA_DIR: await mkdtemp(join(tmpdir(), 'troupe-temporal-')),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  try {
    await waitUntil(() => output.includes('the dev server is up') || child.exitCode !== null, {
      timeoutMs: 90_000,
      what: '`npm run temporal` to say the dev server is up',
    });
    expect(output).toContain(`Temporal gRPC  127.0.0.1:${port}`);
    const connection = await Connection.connect({ address: `127.0.0.1:${port}` });
    const { namespaceInfo } = await connection.workflowService.describeNamespace({ namespace: 'default' });
    expect(namespaceInfo?.name).toBe('default');
    await connection.close();
  } finally {
    // Ctrl-C reaches the whole process group in a terminal; send it the same way.
    if (child.pid) process.kill(-child.pid, 'SIGINT');
  }
  await exited;
  await waitUntil(
    () =>
      new Promise<boolean>((resolve) => {
        const probe = createServer()
          .once('error', () => resolve(false))
          .listen(port, '127.0.0.1', () => probe.close(() => resolve(true)));
      }),
    { timeoutMs: 15_000, what: 'the dev server to free its port' },
  );
}, 120_000);
