import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');

const Port = z.coerce.number().int().min(1).max(65535);

/** Everything Troupe reads from the environment, validated once at start. */
export const Config = z.object({
  PORT: Port.default(3000),
  HOST: z.string().min(1).default('127.0.0.1'),
  TEMPORAL_ADDRESS: z.string().min(1).optional(),
  TEMPORAL_NAMESPACE: z.string().min(1).default('default'),
  TEMPORAL_PORT: Port.default(7233),
  TEMPORAL_UI_PORT: Port.default(8233),
  TEMPORAL_UI_URL: z.url().optional(),
  TROUPE_TASK_QUEUE: z.string().min(1).default('troupe'),
  TROUPE_DATA_DIR: z.string().min(1).default(join(repoRoot, '.data')),
  TROUPE_LOG_LEVEL: z.enum(['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR']).default('INFO'),
  /** With it, Socket.IO rooms span every API process, and model tokens reach them from any worker. */
  REDIS_URL: z.url().optional(),
  /** A worker's host:port for the Temporal SDK's Prometheus metrics (slots, poll results, latencies). */
  TROUPE_WORKER_METRICS: z
    .string()
    .regex(/^[^\s:]+:\d{1,5}$/, 'expected host:port, e.g. 127.0.0.1:9464')
    .optional(),
  /** `npm start` serves worker process i's SDK metrics on HOST:(this + i); 0 turns them off. */
  TROUPE_WORKER_METRICS_PORT: z.coerce.number().int().min(0).max(65535).default(9464),
  /** Troupe's own state (keys, specs, the cost ledger, outcomes, blobs) in PostgreSQL; else SQLite in the data folder. */
  DATABASE_URL: z
    .string()
    .trim()
    .regex(/^postgres(ql)?:\/\/\S+$/, 'expected postgres://user[:password]@host[:port]/database')
    .optional()
    .or(z.literal('').transform(() => undefined)),
  /** With REDIS_URL, agent status, breakers and worker slots are kept under `<prefix>:<kind>:<host>-<pid>`. */
  TROUPE_STATUS_KEY_PREFIX: z.string().min(1).default('troupe:status'),
  /** How long a process's status entry in Redis outlives its last renewal (it renews every third of this). */
  TROUPE_STATUS_TTL_MS: z.coerce.number().int().min(300).default(15_000),
});
export type Config = z.infer<typeof Config>;

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** Variables that may hold a password: an error names them, never their value. */
const secretVariables = new Set(['DATABASE_URL']);

/** Reads the config, naming each bad variable and its value so a typo is found at start, not later. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = Config.safeParse(env);
  if (parsed.success) return parsed.data;
  const lines = parsed.error.issues.map((issue) => {
    const name = String(issue.path[0]);
    const shown = secretVariables.has(name) ? '(not shown)' : JSON.stringify(env[name]);
    return `  ${name}=${shown}: ${issue.message}`;
  });
  throw new ConfigError(`invalid configuration in the environment:\n${lines.join('\n')}`);
}

export function temporalAddress(config: Config): string {
  return config.TEMPORAL_ADDRESS ?? `127.0.0.1:${config.TEMPORAL_PORT}`;
}

export function temporalUiUrl(config: Config): string {
  return config.TEMPORAL_UI_URL ?? `http://localhost:${config.TEMPORAL_UI_PORT}`;
}

/** Where a run's Temporal Web page is: the link a user follows from the API. */
export function runUrl(config: Config, runId: string): string {
  return `${temporalUiUrl(config)}/namespaces/${encodeURIComponent(config.TEMPORAL_NAMESPACE)}/workflows/${encodeURIComponent(runId)}`;
}
