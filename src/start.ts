import { spawn, type ChildProcess } from 'node:child_process';
import { hostname } from 'node:os';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { Connection } from '@temporalio/client';
import { startDevServer, stopChild } from '../temporal/dev-server';
import type { ServiceProcess } from '../temporal/service-process';
import { assertPortFree } from '../temporal/ports';
import { retryUntil } from '../temporal/retry-until';
import { AuthMode, loadApiConfig } from './api/api-config';
import { ApiKeyStore, ensureLocalKey, localKeyFile } from './api/api-keys';
import { createLoginToken, LOGIN_PARAM } from './api/login-links';
import { loadPayloadKeys } from './codec/payload-keys';
import { loadConfig, temporalUiUrl } from './config';
import { startDemoModels, wantsDemo } from './fake-models/demo';
import { isTokenMessage, TOKEN_IPC_ENV } from './models/token-stream';
import { ensureClusterStateDatabase, storeOf } from './store/store';
import { sandboxStartNote } from './tools/sandbox';
import { StatusFileWriter, statusFilePath } from './status-files';
import { defaultRestartPolicy, RestartTracker } from './supervisor/restart-policy';
import { supervisorStatusDir, type PartStatus, type SupervisorStatus } from './supervisor/supervisor-status';
import { allPools } from './workers/pools';
import { readableLine } from './observability/logger';
import { loadClusterConfig } from '../temporal/cluster-config';
import { connectRedis } from './redis';
import { clusterWithAddressError, startClusterTemporal, wantsCluster } from './supervisor/cluster-temporal';

type Part = {
  name: string;
  /** Starts (or restarts) the part. */
  start: () => void;
  process?: ChildProcess;
  /** A Temporal process (dev server, Temporal Server, Temporal Web): stopped last, after the workers drain. */
  service?: boolean;
  tracker: RestartTracker;
  status: PartStatus;
};

const parts: Part[] = [];
let stopping = false;
let statusWriter: StatusFileWriter<SupervisorStatus> | undefined;

function publishStatus(): void {
  void statusWriter?.write({
    host: hostname(),
    pid: process.pid,
    updatedAt: new Date().toISOString(),
    parts: parts.map((part) => part.status),
  });
}

/** Stops the parts in reverse order of start (the API, the workers, then Temporal), then exits. */
async function stopAll(code: number): Promise<void> {
  if (stopping) return;
  stopping = true;
  console.log('troupe: stopping');
  for (const part of [...parts].reverse()) if (part.process) await stopChild(part.process);
  await statusWriter?.remove();
  process.exit(code);
}

/**
 * Runs a Temporal process as a part: started now (a failure stops `npm start` with its reason), and
 * restarted after a backoff when it stops on its own, like the workers.
 */
async function superviseService(
  name: string,
  statusName: string,
  start: () => Promise<ServiceProcess>,
): Promise<ServiceProcess> {
  const part: Part = {
    name,
    service: true,
    start: () => {
      start().then(watch, (err: unknown) => onCrash(part, firstLine(err), part.start));
    },
    tracker: new RestartTracker(),
    status: { name: statusName, state: 'starting', restarts: 0 },
  };
  parts.push(part);
  // While Temporal restarts, the API answers 503 and the workers reconnect (or crash and are restarted).
  const watch = (service: ServiceProcess) => {
    part.process = service.process;
    part.status = { ...part.status, state: 'running', pid: service.process.pid };
    publishStatus();
    service.process.once('exit', (code, signal) => {
      part.process = undefined;
      onCrash(part, signal ?? `exit code ${code}`, part.start);
    });
  };
  const first = await start();
  watch(first);
  return first;
}

/**
 * What to do when a part stops on its own: restart it after a backoff, keeping the others running, or,
 * past the restart limit of its window, say which part and why, and stop everything.
 */
function onCrash(part: Part, cause: string, restart: () => void): void {
  if (stopping) return;
  const decision = part.tracker.crashed(Date.now());
  part.status = { ...part.status, lastCause: cause, pid: undefined };
  if (!decision.restart) {
    part.status.state = 'given-up';
    publishStatus();
    console.error(
      '%s',
      `troupe: the ${part.name} stopped unexpectedly (${cause}) after ${decision.restartsInWindow} restarts within ${defaultRestartPolicy.windowMs / 1000}s; giving up and stopping everything`,
    );
    void stopAll(1);
    return;
  }
  part.status = { ...part.status, state: 'restarting', restarts: part.tracker.total };
  publishStatus();
  console.error(
    '%s',
    `troupe: the ${part.name} stopped unexpectedly (${cause}); restarting it in ${decision.delayMs / 1000}s (restart ${decision.attempt} of ${defaultRestartPolicy.maxRestarts} allowed within ${defaultRestartPolicy.windowMs / 1000}s)`,
  );
  setTimeout(() => {
    if (stopping) return;
    part.status = { ...part.status, lastRestartAt: new Date().toISOString() };
    restart();
  }, decision.delayMs);
}

/**
 * `npm start`: Temporal (unless TEMPORAL_ADDRESS names one), a worker per pool and the API, kept running.
 * `npm run start:cluster` (`--cluster`): Temporal Server on PostgreSQL with Temporal Web, two workers per
 * pool and two API processes sharing live updates through Redis (docs/deploy.md).
 */
async function main() {
  // A closed terminal or pipe must not kill the supervisor halfway through stopping its children.
  process.stdout.on('error', () => undefined);
  process.stderr.on('error', () => undefined);
  process.once('SIGINT', () => void stopAll(0));
  process.once('SIGTERM', () => void stopAll(0));
  process.once('exit', () => {
    for (const part of parts) part.process?.kill(part.service ? 'SIGTERM' : 'SIGKILL');
  });
  const config = loadConfig();
  await assertPortFree(config.PORT, config.HOST, 'PORT');
  const sandbox = await sandboxStartNote();
  if (sandbox) console.warn(sandbox);
  // `--demo`: the scripted model server answers for every model, and the UI says so.
  const demo = wantsDemo() ? await startDemoModels() : undefined;
  if (demo) console.warn(demo.note);
  // Made here, once, before the parts start: each of them then reads the same key.
  const payloadKeys = await loadPayloadKeys(config.TROUPE_DATA_DIR);
  console.log(`payloads: encrypted with key ${payloadKeys.current.id}`);
  const statusDir = supervisorStatusDir(config.TROUPE_DATA_DIR);
  statusWriter = new StatusFileWriter<SupervisorStatus>(statusDir, statusFilePath(statusDir), 'supervisor');
  // The local key for the CLI, and a one-time link that signs a browser in to the UI (as Jupyter does).
  const authOn = loadApiConfig().TROUPE_AUTH !== AuthMode.Off;
  const cluster = wantsCluster();
  if (cluster && config.TEMPORAL_ADDRESS) throw new Error(clusterWithAddressError);
  const clusterSettings = cluster ? loadClusterConfig() : undefined;
  // Cluster mode keeps Troupe's own state in PostgreSQL too, beside Temporal's, unless told where.
  if (clusterSettings && !config.DATABASE_URL) {
    config.DATABASE_URL = await ensureClusterStateDatabase(clusterSettings.databases);
    process.env.DATABASE_URL = config.DATABASE_URL;
  }
  // The state store is migrated (and older files imported) here, once, before the parts open it.
  const store = storeOf(config, console.log);
  await store.query();
  console.log(`store: Troupe's state in ${store.where}`);
  if (authOn) await ensureLocalKey(new ApiKeyStore(store), config.TROUPE_DATA_DIR);
  const loginToken = authOn ? await createLoginToken(config.TROUPE_DATA_DIR, { fresh: true }) : undefined;

  let address = config.TEMPORAL_ADDRESS;
  let temporalWeb: string | undefined;
  let redisUrl = config.REDIS_URL;
  let workersPerPool = 1;
  let apiProcesses = 1;
  if (clusterSettings) {
    const settings = clusterSettings;
    ({ redisUrl, workersPerPool, apiProcesses } = settings);
    for (let i = 1; i < apiProcesses; i++) await assertPortFree(config.PORT + i, config.HOST, 'PORT');
    await checkRedis(settings.redisUrl);
    ({ address, temporalWeb } = await startClusterTemporal({
      cluster: settings,
      codecEndpoint: `${browserUrl(config.HOST, config.PORT)}/api/codec`,
      superviseService,
      stopping: () => stopping,
      log: (line) => console.log('%s', line),
    }));
  } else if (address) {
    await checkTemporal(address);
    console.log(`temporal: using the server at ${address} (TEMPORAL_ADDRESS)`);
  } else {
    console.log('temporal: starting the dev server');
    const options = {
      dataDir: config.TROUPE_DATA_DIR,
      port: config.TEMPORAL_PORT,
      uiPort: config.TEMPORAL_UI_PORT,
      namespace: config.TEMPORAL_NAMESPACE,
      codecEndpoint: `${browserUrl(config.HOST, config.PORT)}/api/codec`,
    };
    const server = await superviseService('Temporal dev server', 'temporal', () => startDevServer(options));
    address = server.address;
    temporalWeb = temporalUiUrl(config);
  }

  const env = {
    TROUPE_LOG_LEVEL: 'WARN',
    ...process.env,
    ...demo?.env,
    TEMPORAL_ADDRESS: address,
    ...(cluster && { TEMPORAL_UI_URL: config.TEMPORAL_UI_URL ?? temporalWeb, REDIS_URL: redisUrl }),
    [TOKEN_IPC_ENV]: '1',
  };
  const supervise = (
    name: string,
    entry: string,
    args: string[] = [],
    extraEnv: NodeJS.ProcessEnv = {},
  ): Part => {
    const part: Part = {
      name,
      tracker: new RestartTracker(),
      status: { name, state: 'starting', restarts: 0 },
      start: () => {
        const child = spawn(
          process.execPath,
          ['--import', 'tsx', fileURLToPath(new URL(entry, import.meta.url)), ...args],
          { env: { ...env, ...extraEnv }, detached: true, stdio: ['ignore', 'pipe', 'pipe', 'ipc'] },
        );
        prefixLines(name, child);
        part.process = child;
        part.status = { ...part.status, state: 'running', pid: child.pid };
        publishStatus();
        child.on('message', (message) => {
          // Without Redis, model tokens travel worker -> supervisor -> API over the IPC channels.
          if (!isTokenMessage(message)) return;
          for (const api of apis) {
            if (api.process?.connected) api.process.send(message, undefined, undefined, () => undefined);
          }
        });
        child.once('exit', (code, signal) => onCrash(part, signal ?? `exit code ${code}`, part.start));
      },
    };
    parts.push(part);
    part.start();
    return part;
  };

  // One worker process per pool (two in cluster mode), as a deployment would scale them.
  // Each with its own port for the SDK's Prometheus metrics, in start order.
  const metricsAddress = (index: number) =>
    config.TROUPE_WORKER_METRICS_PORT
      ? { TROUPE_WORKER_METRICS: `${config.HOST}:${config.TROUPE_WORKER_METRICS_PORT + index}` }
      : undefined;
  const workers = allPools.flatMap((pool, p) =>
    Array.from({ length: workersPerPool }, (_, i) =>
      supervise(
        partName(`worker:${pool}`, i, workersPerPool),
        './workers/main.ts',
        ['--pool', pool],
        metricsAddress(p * workersPerPool + i),
      ),
    ),
  );
  const apiPorts = Array.from({ length: apiProcesses }, (_, i) => config.PORT + i);
  const apis: Part[] = [];
  apiPorts.forEach((port, i) =>
    apis.push(supervise(partName('api', i, apiProcesses), './api/main.ts', [], { PORT: String(port) })),
  );
  const apiUrls = apiPorts.map((port) => `http://${config.HOST}:${port}`);
  const apiUrl = apiUrls[0] as string;
  await Promise.all([
    ...apiUrls.map((url) => waitForHealthy(`${url}/healthz`, 120_000)),
    ...workers.map((worker) => waitForReady(worker.process as ChildProcess, 'worker', 120_000)),
  ]);
  console.log('');
  console.log(`Troupe is up.`);
  const browser = browserUrl(config.HOST, config.PORT);
  if (loginToken) {
    console.log(
      `  Console        ${browser}/?${LOGIN_PARAM}=${loginToken}   (one-time link: signs this browser in)`,
    );
  } else {
    console.log(`  Console        ${browser}/`);
  }
  console.log(`  API            ${apiUrl}   (try ${apiUrl}/healthz)`);
  for (const url of apiUrls.slice(1))
    console.log(`                 ${url}   (another API process: same runs, same live updates via Redis)`);
  console.log(`  Temporal Web   ${temporalWeb ?? `the UI of ${address}`}`);
  console.log(`  Temporal gRPC  ${address}${cluster ? '   (Temporal Server on PostgreSQL)' : ''}`);
  if (config.TROUPE_WORKER_METRICS_PORT) {
    const first = config.TROUPE_WORKER_METRICS_PORT;
    console.log(
      `  Worker metrics http://${config.HOST}:${first}/metrics … :${first + workers.length - 1}   (Temporal SDK, Prometheus)`,
    );
  }
  if (loginToken) console.log(`  CLI and curl   the local key in ${localKeyFile(config.TROUPE_DATA_DIR)}`);
  else console.warn('  TROUPE_AUTH=off: the API checks no key. Use this for tests only.');
  if (demo) console.log('  Models         SIMULATED (--demo): the scripted model server answers');
  console.log('A part that crashes is restarted; Press Ctrl-C to stop.');
}

/**
 * The API's address as a browser should use it: `localhost` for a loopback API, so the UI's session
 * cookie and Temporal Web (on localhost too) are same-site, and Temporal Web's codec calls carry it.
 */
function browserUrl(host: string, port: number): string {
  const loopback = host === 'localhost' || host === '::1' || /^127\./.test(host);
  return `http://${loopback ? 'localhost' : host.includes(':') ? `[${host}]` : host}:${port}`;
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

/** Cluster mode's API processes and workers need Redis: say so now, not after a round of crashes. */
async function checkRedis(url: string): Promise<void> {
  const client = await connectRedis(url, 'cluster mode (the Socket.IO adapter and token streams)');
  await client.close();
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

function waitForHealthy(url: string, timeoutMs: number): Promise<boolean> {
  return retryUntil(
    async () => ((await fetch(url, { signal: AbortSignal.timeout(2000) })).ok ? true : undefined),
    {
      timeoutMs,
      timeoutError: () => new Error(`the API did not report healthy at ${url} within ${timeoutMs / 1000}s`),
    },
  );
}

/** `api` alone, or `api#1`, `api#2`… when there are several. */
function partName(base: string, index: number, count: number): string {
  return count > 1 ? `${base}#${index + 1}` : base;
}

function firstLine(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).split('\n')[0] ?? '';
}

function prefixLines(name: string, child: ChildProcess): void {
  const tag = `[${name}]`.padEnd(26);
  if (child.stdout)
    createInterface({ input: child.stdout }).on('line', (line) =>
      console.log('%s%s', tag, readableLine(line)),
    );
  if (child.stderr)
    createInterface({ input: child.stderr }).on('line', (line) => console.error('%s%s', tag, line));
}

main().catch((err: unknown) => {
  console.error(`troupe: ${err instanceof Error ? err.message : String(err)}`);
  void stopAll(1);
});
