import { z } from 'zod';
import { DEFAULT_DATABASE_URL, parseDatabaseUrl, type TemporalDatabases } from './database-url';

const Port = z.coerce.number().int().min(1).max(65535);
const Count = z.coerce.number().int().min(1).max(16);

/**
 * What `npm run start:cluster` reads besides Troupe's own config. Its Temporal listens beside the dev
 * server's defaults (7233, 8233), never on them, so the two modes and the tests can run on one machine.
 */
export const ClusterEnv = z.object({
  TEMPORAL_DATABASE_URL: z.string().min(1).default(DEFAULT_DATABASE_URL),
  /** The frontend's gRPC port: what workers, the API and `temporal --address` connect to. */
  TEMPORAL_PORT: Port.max(32767, 'must be at most 32767 (Temporal stores its ports as smallint)').default(
    7333,
  ),
  TEMPORAL_UI_PORT: Port.default(8333),
  /**
   * The first of eight consecutive ports for the server's own services (see internalPorts). At most
   * 32760: Temporal keeps the membership ports in a smallint column (cluster_membership.rpc_port).
   */
  TEMPORAL_INTERNAL_PORTS: Port.max(
    32767 - 7,
    'must be at most 32760 (Temporal stores these ports as smallint)',
  ).default(7334),
  TEMPORAL_NAMESPACE: z.string().min(1).default('default'),
  /** How long Temporal keeps a closed run's history; matches TROUPE_WORKSPACE_RETENTION's default. */
  TEMPORAL_RETENTION_DAYS: z.coerce.number().int().min(1).max(3650).default(7),
  REDIS_URL: z.url().default('redis://127.0.0.1:6379'),
  TROUPE_WORKERS_PER_POOL: Count.default(2),
  TROUPE_API_PROCESSES: Count.default(2),
});

export type ClusterConfig = {
  databases: TemporalDatabases;
  ip: string;
  port: number;
  uiPort: number;
  internalPorts: InternalPorts;
  namespace: string;
  retentionDays: number;
  redisUrl: string;
  workersPerPool: number;
  apiProcesses: number;
};

export type InternalPorts = {
  frontendHttp: number;
  history: number;
  matching: number;
  worker: number;
  frontendMembership: number;
  historyMembership: number;
  matchingMembership: number;
  workerMembership: number;
};

/** The eight ports from `first` on, in this order. */
export function internalPorts(first: number): InternalPorts {
  return {
    frontendHttp: first,
    history: first + 1,
    matching: first + 2,
    worker: first + 3,
    frontendMembership: first + 4,
    historyMembership: first + 5,
    matchingMembership: first + 6,
    workerMembership: first + 7,
  };
}

/** Reads the cluster's settings, naming each bad variable, as loadConfig does for the rest. */
export function loadClusterConfig(env: NodeJS.ProcessEnv = process.env): ClusterConfig {
  const parsed = ClusterEnv.safeParse(env);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((issue) => {
      const name = String(issue.path[0]);
      // The database URL may carry a password: name it, never echo it.
      const shown = name === 'TEMPORAL_DATABASE_URL' ? '(not shown)' : JSON.stringify(env[name]);
      return `  ${name}=${shown}: ${issue.message}`;
    });
    throw new Error(`invalid cluster configuration in the environment:\n${lines.join('\n')}`);
  }
  const values = parsed.data;
  return {
    databases: parseDatabaseUrl(values.TEMPORAL_DATABASE_URL),
    ip: '127.0.0.1',
    port: values.TEMPORAL_PORT,
    uiPort: values.TEMPORAL_UI_PORT,
    internalPorts: internalPorts(values.TEMPORAL_INTERNAL_PORTS),
    namespace: values.TEMPORAL_NAMESPACE,
    retentionDays: values.TEMPORAL_RETENTION_DAYS,
    redisUrl: values.REDIS_URL,
    workersPerPool: values.TROUPE_WORKERS_PER_POOL,
    apiProcesses: values.TROUPE_API_PROCESSES,
  };
}
