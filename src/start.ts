import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { Connection } from '@temporalio/client';
import { startDevServer, stopChild, type DevServer } from '../temporal/dev-server';
import { assertPortFree } from '../temporal/ports';
import { loadConfig, temporalUiUrl } from './config';
import { isTokenMessage, TOKEN_IPC_ENV } from './models/token-stream';
import { allPools } from './workers/pools';

type Part = { name: string; process: ChildProcess };

const parts: Part[] = [];
let devServer: DevServer | undefined;
let stopping = false;

/** Stops the parts in reverse order of start, then Temporal, then exits. */
async function stopAll(code: number): Promise<void> {
  if (stopping) return;
  stopping = true;
  console.log('troupe: stopping');
  for (const part of [...parts].reverse()) await stopChild(part.process);
  if (devServer) await devServer.stop();
  process.exit(code);
}

/** `npm start`: Temporal (unless TEMPORAL_ADDRESS names one), a worker and the API, stopped together. */
async function main() {
  // A closed terminal or pipe must not kill the supervisor halfway through stopping its children.
  process.stdout.on('error', () => undefined);
  process.stderr.on('error', () => undefined);
  process.once('SIGINT', () => void stopAll(0));
  process.once('SIGTERM', () => void stopAll(0));
  process.once('exit', () => {
    for (const part of parts) part.process.kill('SIGKILL');
    devServer?.process.kill('SIGTERM');
  });
  const config = loadConfig();
  await assertPortFree(config.PORT, config.HOST, 'PORT');

  let address = config.TEMPORAL_ADDRESS;
  if (address) {
    await checkTemporal(address);
    console.log(`temporal: using the server at ${address} (TEMPORAL_ADDRESS)`);
  } else {
    console.log('temporal: starting the dev server');
    devServer = await startDevServer({
      dataDir: config.TROUPE_DATA_DIR,
      port: config.TEMPORAL_PORT,
      uiPort: config.TEMPORAL_UI_PORT,
      namespace: config.TEMPORAL_NAMESPACE,
    });
    address = devServer.address;
  }

  const env = { TROUPE_LOG_LEVEL: 'WARN', ...process.env, TEMPORAL_ADDRESS: address, [TOKEN_IPC_ENV]: '1' };
  const run = (name: string, entry: string, args: string[] = []) => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', fileURLToPath(new URL(entry, import.meta.url)), ...args],
      {
        env,
        detached: true,
        stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      },
    );
    prefixLines(name, child);
    child.once('exit', (code, signal) => {
      if (stopping) return;
      console.error(
        `troupe: the ${name} stopped unexpectedly (${signal ?? `exit code ${code}`}); stopping everything`,
      );
      void stopAll(1);
    });
    parts.push({ name, process: child });
    return child;
  };
  if (devServer) {
    devServer.process.once('exit', (code) => {
      if (stopping) return;
      console.error(
        `troupe: the Temporal dev server stopped unexpectedly (exit code ${code}); stopping everything`,
      );
      void stopAll(1);
    });
  }

  // One worker process per pool, as a deployment would scale them.
  const workers = allPools.map((pool) => run(`worker:${pool}`, './workers/main.ts', ['--pool', pool]));
  const api = run('api', './api/main.ts');
  // Without Redis, model tokens travel worker -> supervisor -> API over the IPC channels.
  for (const worker of workers) {
    worker.on('message', (message) => {
      if (isTokenMessage(message) && api.connected) api.send(message, undefined, undefined, () => undefined);
    });
  }
  const apiUrl = `http://${config.HOST}:${config.PORT}`;
  await Promise.all([
    waitForHealthy(`${apiUrl}/healthz`, 60_000),
    ...workers.map((worker) => waitForReady(worker, 'worker', 120_000)),
  ]);
  console.log('');
  console.log(`Troupe is up.`);
  console.log(`  API            ${apiUrl}   (try ${apiUrl}/healthz)`);
  console.log(`  Temporal Web   ${devServer ? temporalUiUrl(config) : `the UI of ${address}`}`);
  console.log(`  Temporal gRPC  ${address}`);
  console.log('Press Ctrl-C to stop.');
}

async function checkTemporal(address: string): Promise<void> {
  try {
    const connection = await Connection.connect({ address, connectTimeout: 5000 });
    await connection.close();
  } catch (err) {
    throw new Error(
      `TEMPORAL_ADDRESS=${address} is not reachable: ${(err as Error).message}. Unset it to start a dev server.`,
    );
  }
}

/** Resolves when a child reports that it is ready (the worker does once it polls its task queue). */
function waitForReady(child: ChildProcess, name: string, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`the ${name} did not become ready within ${timeoutMs / 1000}s`)),
      timeoutMs,
    );
    child.on('message', (message: { ready?: string }) => {
      if (message.ready !== name) return;
      clearTimeout(timer);
      resolve();
    });
  });
}

async function waitForHealthy(url: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(2000) });
      if (response.ok) return;
    } catch {
      // Not listening yet.
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`the API did not report healthy at ${url} within ${timeoutMs / 1000}s`);
}

function prefixLines(name: string, child: ChildProcess): void {
  const tag = `[${name}]`.padEnd(23);
  if (child.stdout)
    createInterface({ input: child.stdout }).on('line', (line) => console.log(`${tag}${line}`));
  if (child.stderr)
    createInterface({ input: child.stderr }).on('line', (line) => console.error(`${tag}${line}`));
}

main().catch((err: unknown) => {
  console.error(`troupe: ${err instanceof Error ? err.message : String(err)}`);
  void stopAll(1);
});
