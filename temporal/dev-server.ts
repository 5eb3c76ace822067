import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { z } from 'zod';
import { Connection } from '@temporalio/client';
import { troupeSearchAttributes } from '../src/engine/search-attributes';
import { requireTemporalCli } from './cli.mjs';
import { assertPortFree } from './ports';
import { retryUntil } from './retry-until';
import { searchAttributeTypeNames } from './search-attributes';

const DynamicConfigFile = z.record(z.string(), z.array(z.object({ value: z.unknown() }).loose()).min(1));

/** The dynamic config in temporal/dynamic-config.yaml, which docker-compose.yml mounts too. */
export function dynamicConfig(): Record<string, unknown> {
  const path = fileURLToPath(new URL('./dynamic-config.yaml', import.meta.url));
  const parsed = DynamicConfigFile.safeParse(parse(readFileSync(path, 'utf8')));
  if (!parsed.success) throw new Error(`${path} is not valid dynamic config: ${parsed.error.message}`);
  return Object.fromEntries(Object.entries(parsed.data).map(([key, [first]]) => [key, first?.value]));
}

/** The flags that register Troupe's search attributes and dynamic config with a dev server. */
export function devServerFlags(extraDynamicConfig: Record<string, unknown> = {}): string[] {
  const attributes = troupeSearchAttributes.flatMap((key) => [
    '--search-attribute',
    `${key.name}=${searchAttributeTypeNames[key.type]}`,
  ]);
  const config = Object.entries({ ...dynamicConfig(), ...extraDynamicConfig }).flatMap(([key, value]) => [
    '--dynamic-config-value',
    `${key}=${JSON.stringify(value)}`,
  ]);
  return [...attributes, ...config];
}

export type DevServerOptions = {
  dataDir: string;
  ip?: string;
  port: number;
  uiPort: number;
  namespace: string;
  /** The remote codec endpoint Temporal Web calls to show decrypted payloads (the API's /api/codec). */
  codecEndpoint?: string;
};

export type DevServer = { address: string; process: ChildProcess; stop: () => Promise<void> };

/**
 * Starts `temporal server start-dev` on SQLite under the data folder, so runs survive a restart, and
 * resolves once it accepts connections.
 */
export async function startDevServer({
  dataDir,
  ip = '127.0.0.1',
  port,
  uiPort,
  namespace,
  codecEndpoint,
}: DevServerOptions): Promise<DevServer> {
  await assertPortFree(port, ip, 'TEMPORAL_PORT (or set TEMPORAL_ADDRESS to use the Temporal already there)');
  await assertPortFree(uiPort, ip, 'TEMPORAL_UI_PORT');
  mkdirSync(join(dataDir, 'temporal'), { recursive: true });
  const args = [
    'server',
    'start-dev',
    '--db-filename',
    join(dataDir, 'temporal', 'troupe.db'),
    '--ip',
    ip,
    '--port',
    String(port),
    '--ui-port',
    String(uiPort),
    '--namespace',
    namespace,
    '--log-level',
    'warn',
    ...(codecEndpoint ? ['--ui-codec-endpoint', codecEndpoint] : []),
    ...devServerFlags(),
  ];
  // Its own process group: Ctrl-C reaches the supervisor, which stops Temporal last, after the worker drains.
  const child = spawn(requireTemporalCli(), args, { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  const output: string[] = [];
  const keep = (chunk: Buffer) => {
    output.push(chunk.toString());
    if (output.length > 50) output.shift();
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  const exited = new Promise<never>((_, reject) =>
    child.once('exit', (code) =>
      reject(new Error(`the Temporal dev server exited with code ${code}:\n${output.join('').slice(-2000)}`)),
    ),
  );
  exited.catch(() => undefined);
  const address = `${ip}:${port}`;
  await Promise.race([waitForTemporal(address, 60_000), exited]);
  return {
    address,
    process: child,
    stop: () => stopChild(child),
  };
}

async function waitForTemporal(address: string, timeoutMs: number): Promise<void> {
  await retryUntil(
    async () => {
      const connection = await Connection.connect({ address, connectTimeout: 1000 });
      await connection.close();
      return true;
    },
    {
      timeoutMs,
      timeoutError: (err) =>
        new Error(
          `Temporal at ${address} did not start within ${timeoutMs / 1000}s: ${(err as Error).message}`,
        ),
    },
  );
}

/** Sends SIGTERM, then SIGKILL if the process is still there after a grace period. */
export function stopChild(child: ChildProcess, graceMs = 10_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}
