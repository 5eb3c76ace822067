import type { ClusterConfig } from '../../temporal/cluster-config';
import {
  ensureNamespace,
  startTemporalServer,
  startTemporalWeb,
  temporalWebUrl,
} from '../../temporal/cluster-server';
import { requireServerParts } from '../../temporal/server-build.mjs';
import type { ServiceProcess } from '../../temporal/service-process';
import { prepareDatabases } from '../../temporal/temporal-schema';

/** `npm run start:cluster` runs `src/start.ts --cluster`. */
export function wantsCluster(argv: string[] = process.argv): boolean {
  return argv.includes('--cluster');
}

export const clusterWithAddressError =
  '`npm run start:cluster` starts its own Temporal Server on PostgreSQL; unset TEMPORAL_ADDRESS, or use `npm start` to run against the Temporal at TEMPORAL_ADDRESS.';

type Supervise = (
  name: string,
  statusName: string,
  start: () => Promise<ServiceProcess>,
) => Promise<ServiceProcess>;

const shownLevels = new Set(['error', 'dpanic', 'panic', 'fatal']);

/**
 * Starts a Go service with its log lines shown once it is up, tagged like a part's: its errors, level and
 * message from the JSON. What it logs while starting or stopping (Temporal Server errs while its
 * services find or lose each other) is left out; a failed start shows it in its error.
 */
function withLogs(
  tag: string,
  stopping: () => boolean,
  start: (onLine: (line: string, stream: 'stdout' | 'stderr') => void) => Promise<ServiceProcess>,
): () => Promise<ServiceProcess> {
  const prefix = `[${tag}]`.padEnd(26);
  return async () => {
    let up = false;
    const service = await start((line) => {
      if (!up || stopping() || !line.trim()) return;
      try {
        const entry = JSON.parse(line) as { level?: string; msg?: string; error?: string };
        if (!shownLevels.has(entry.level ?? '')) return;
        console.error(
          '%s%s',
          prefix,
          [`${entry.level}:`, entry.msg, entry.error && `(${entry.error})`].filter(Boolean).join(' '),
        );
      } catch {
        console.error('%s%s', prefix, line);
      }
    });
    up = true;
    return service;
  };
}

/**
 * Brings up Temporal for cluster mode, each step logged: the two PostgreSQL databases created or
 * updated, Temporal Server started on them, the namespace and search attributes registered, and
 * Temporal Web started. Temporal Server and Temporal Web become supervised parts, restarted on a crash.
 */
export async function startClusterTemporal({
  cluster,
  codecEndpoint,
  superviseService,
  stopping,
  log,
}: {
  cluster: ClusterConfig;
  codecEndpoint: string;
  superviseService: Supervise;
  /** True once the supervisor is stopping everything. */
  stopping: () => boolean;
  log: (line: string) => void;
}): Promise<{ address: string; temporalWeb: string }> {
  const paths = requireServerParts();
  const { databases: db } = cluster;
  log(
    `temporal: PostgreSQL at ${db.host}:${db.port} (user ${db.user}): databases ${db.database} and ${db.visibilityDatabase}`,
  );
  for (const result of await prepareDatabases(db, paths)) {
    const what =
      result.from === '0.0'
        ? 'set up'
        : result.from === result.version
          ? 'up to date'
          : `updated from ${result.from}`;
    log(`  ${result.database}: ${what}, schema ${result.version}`);
  }
  const server = await superviseService(
    'Temporal Server',
    'temporal-server',
    withLogs('temporal-server', stopping, (onLine) => startTemporalServer(cluster, paths.server, onLine)),
  );
  log(`temporal: Temporal Server is up at ${server.address}`);
  const namespace = await ensureNamespace(cluster);
  log(
    `temporal: namespace "${cluster.namespace}" ${namespace.created ? 'registered' : 'found'}; search attributes ${
      namespace.searchAttributesAdded.length > 0
        ? `added: ${namespace.searchAttributesAdded.join(', ')}`
        : 'registered'
    }`,
  );
  await superviseService(
    'Temporal Web',
    'temporal-web',
    withLogs('temporal-web', stopping, (onLine) =>
      startTemporalWeb(cluster, paths.uiServer, codecEndpoint, onLine),
    ),
  );
  log(`temporal: Temporal Web is up at ${temporalWebUrl(cluster)}`);
  return { address: server.address, temporalWeb: temporalWebUrl(cluster) };
}
