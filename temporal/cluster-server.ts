import { fileURLToPath } from 'node:url';
import { Connection } from '@temporalio/client';
import Long from 'long';
import type { ClusterConfig } from './cluster-config';
import { assertPortFree } from './ports';
import { retryUntil } from './retry-until';
import { ensureSearchAttributes } from './search-attributes';
import { startService, type ServiceProcess } from './service-process';

/** temporal/, which holds server/server.yaml and server/ui.yaml. */
const temporalDir = fileURLToPath(new URL('.', import.meta.url));
const dynamicConfigFile = fileURLToPath(new URL('./dynamic-config.yaml', import.meta.url));

/** What a spawned Go server needs from Troupe's environment: nothing else of it (no API keys). */
function baseEnv(): NodeJS.ProcessEnv {
  return { PATH: process.env.PATH, HOME: process.env.HOME, TZ: process.env.TZ };
}

export function frontendAddress(cluster: ClusterConfig): string {
  return `${cluster.ip}:${cluster.port}`;
}

/** The environment temporal/server/server.yaml reads. */
export function serverEnv(cluster: ClusterConfig): NodeJS.ProcessEnv {
  const { databases: db, internalPorts: ports } = cluster;
  return {
    ...baseEnv(),
    TEMPORAL_DB_HOST: db.host,
    TEMPORAL_DB_PORT: String(db.port),
    TEMPORAL_DB_USER: db.user,
    TEMPORAL_DB_PASSWORD: db.password,
    TEMPORAL_DB_NAME: db.database,
    TEMPORAL_VISIBILITY_DB_NAME: db.visibilityDatabase,
    TEMPORAL_BIND_IP: cluster.ip,
    TEMPORAL_FRONTEND_PORT: String(cluster.port),
    TEMPORAL_FRONTEND_HTTP_PORT: String(ports.frontendHttp),
    TEMPORAL_FRONTEND_MEMBERSHIP_PORT: String(ports.frontendMembership),
    TEMPORAL_HISTORY_PORT: String(ports.history),
    TEMPORAL_HISTORY_MEMBERSHIP_PORT: String(ports.historyMembership),
    TEMPORAL_MATCHING_PORT: String(ports.matching),
    TEMPORAL_MATCHING_MEMBERSHIP_PORT: String(ports.matchingMembership),
    TEMPORAL_WORKER_PORT: String(ports.worker),
    TEMPORAL_WORKER_MEMBERSHIP_PORT: String(ports.workerMembership),
    TEMPORAL_DYNAMIC_CONFIG_FILE: dynamicConfigFile,
    TEMPORAL_LOG_LEVEL: process.env.TEMPORAL_LOG_LEVEL ?? 'warn',
  };
}

async function assertClusterPortsFree(cluster: ClusterConfig): Promise<void> {
  await assertPortFree(cluster.port, cluster.ip, 'TEMPORAL_PORT');
  for (const [name, port] of Object.entries(cluster.internalPorts)) {
    await assertPortFree(port, cluster.ip, `TEMPORAL_INTERNAL_PORTS (the ${name} port)`);
  }
}

/**
 * Starts Temporal Server (every service in one process) from temporal/server/server.yaml on the
 * databases that prepareDatabases made, and resolves once its frontend accepts connections.
 */
export async function startTemporalServer(
  cluster: ClusterConfig,
  serverBinary: string,
  onLine?: (line: string, stream: 'stdout' | 'stderr') => void,
): Promise<ServiceProcess> {
  await assertClusterPortsFree(cluster);
  const address = frontendAddress(cluster);
  return startService({
    name: 'Temporal Server',
    command: serverBinary,
    args: ['--root', temporalDir, '--config', 'server', '--env', 'server', '--allow-no-auth', 'start'],
    env: serverEnv(cluster),
    address,
    onLine,
    ready: () =>
      retryUntil(
        async () => {
          const connection = await Connection.connect({ address, connectTimeout: 1000 });
          try {
            await connection.healthService.check({});
            return true;
          } finally {
            await connection.close();
          }
        },
        {
          timeoutMs: 90_000,
          everyMs: 500,
          timeoutError: (err) =>
            new Error(`Temporal Server at ${address} did not start within 90 s: ${(err as Error)?.message}`),
        },
      ),
  });
}

/** The address a browser opens Temporal Web at. */
export function temporalWebUrl(cluster: ClusterConfig): string {
  return `http://localhost:${cluster.uiPort}`;
}

/**
 * Starts Temporal Web (the UI server the CLI embeds, built on its own) against the cluster, with the
 * API's codec endpoint so it shows payloads decrypted.
 */
export async function startTemporalWeb(
  cluster: ClusterConfig,
  uiBinary: string,
  codecEndpoint: string | undefined,
  onLine?: (line: string, stream: 'stdout' | 'stderr') => void,
): Promise<ServiceProcess> {
  await assertPortFree(cluster.uiPort, cluster.ip, 'TEMPORAL_UI_PORT');
  const url = `http://${cluster.ip}:${cluster.uiPort}`;
  return startService({
    name: 'Temporal Web',
    command: uiBinary,
    args: ['--root', temporalDir, '--config', 'server', '--env', 'ui', 'start'],
    env: {
      ...baseEnv(),
      TEMPORAL_ADDRESS: frontendAddress(cluster),
      TEMPORAL_UI_IP: cluster.ip,
      TEMPORAL_UI_PORT: String(cluster.uiPort),
      TEMPORAL_NAMESPACE: cluster.namespace,
      TEMPORAL_UI_CODEC_ENDPOINT: codecEndpoint ?? '',
    },
    address: url,
    onLine,
    ready: () =>
      retryUntil(
        async () => ((await fetch(`${url}/`, { signal: AbortSignal.timeout(2000) })).ok ? true : undefined),
        {
          timeoutMs: 30_000,
          timeoutError: (err) =>
            new Error(`Temporal Web at ${url} did not answer within 30 s: ${(err as Error)?.message}`),
        },
      ),
  });
}

const ALREADY_EXISTS = 6; // gRPC status code

/**
 * Registers the namespace if the cluster does not have it yet (a fresh database has only
 * temporal-system), waits until the frontend serves it, then registers Troupe's search attributes.
 */
export async function ensureNamespace(
  cluster: ClusterConfig,
): Promise<{ created: boolean; searchAttributesAdded: string[] }> {
  const address = frontendAddress(cluster);
  const connection = await Connection.connect({ address });
  try {
    let created = false;
    try {
      await connection.workflowService.registerNamespace({
        namespace: cluster.namespace,
        description: 'Troupe runs',
        workflowExecutionRetentionPeriod: { seconds: Long.fromNumber(cluster.retentionDays * 86_400) },
      });
      created = true;
    } catch (err) {
      if ((err as { code?: number }).code !== ALREADY_EXISTS) throw err;
    }
    // The frontend learns of a new namespace on its next registry refresh (up to 10 s).
    await retryUntil(
      async () => {
        await connection.workflowService.describeNamespace({ namespace: cluster.namespace });
        await connection.workflowService.listWorkflowExecutions({
          namespace: cluster.namespace,
          pageSize: 1,
        });
        return true;
      },
      {
        timeoutMs: 60_000,
        everyMs: 500,
        timeoutError: (err) =>
          new Error(
            `namespace "${cluster.namespace}" on ${address} did not become usable within 60 s: ${(err as Error)?.message}`,
          ),
      },
    );
    const { added } = await ensureSearchAttributes(connection.operatorService, {
      namespace: cluster.namespace,
      address,
      timeoutMs: 60_000,
    });
    return { created, searchAttributesAdded: added };
  } finally {
    await connection.close();
  }
}
