import { execFile } from 'node:child_process';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { TemporalDatabases } from './database-url';

const run = promisify(execFile);

export type SchemaTools = {
  /** temporal-sql-tool, built by `npm run setup -- --server`. */
  sqlTool: string;
  /** postgresql/v12 of the server's module, holding temporal/versioned and visibility/versioned. */
  schemaDir: string;
};

/** One database after prepareDatabases: `from` is the version it had (0.0 when new), `version` the one it has. */
export type SchemaResult = { database: string; from: string; version: string };

/**
 * The tool's connection settings, in its environment rather than on its command line, so the password
 * shows in no process list.
 */
function toolEnv(databases: TemporalDatabases, database: string): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH,
    SQL_PLUGIN: 'postgres12',
    SQL_HOST: databases.host,
    SQL_PORT: String(databases.port),
    SQL_USER: databases.user,
    SQL_PASSWORD: databases.password,
    SQL_DATABASE: database,
  };
}

async function sqlTool(
  tools: SchemaTools,
  databases: TemporalDatabases,
  database: string,
  args: string[],
): Promise<string> {
  try {
    const { stdout, stderr } = await run(tools.sqlTool, args, {
      env: toolEnv(databases, database),
      timeout: 120_000,
    });
    return `${stdout}${stderr}`;
  } catch (err) {
    const { stdout = '', stderr = '' } = err as { stdout?: string; stderr?: string };
    throw new SchemaError(
      `temporal-sql-tool ${args[0]} on database "${database}" at ${databases.host}:${databases.port} (user ${databases.user}) failed: ${lastError(`${stdout}${stderr}`) || (err as Error).message}. Check TEMPORAL_DATABASE_URL, and that PostgreSQL runs there and lets this user in (and create databases, the first time).`,
    );
  }
}

export class SchemaError extends Error {
  override name = 'SchemaError';
}

/**
 * The tool logs lines of `time LEVEL message {fields}`, in colour; what matters in a failure is the
 * last error's message and its `error` field.
 */
function lastError(output: string): string {
  const lines = output
    .replace(/\x1b\[[0-9;]*m/g, '')
    .trim()
    .split('\n')
    .reverse();
  const line =
    lines.find((candidate) => /\tERROR\t/.test(candidate)) ?? lines.find((candidate) => candidate.trim());
  if (!line) return '';
  const [, , message = line, fields = ''] = line.split('\t');
  try {
    const { error } = JSON.parse(fields) as { error?: string };
    return error ? `${message}: ${error}` : message;
  } catch {
    return message.trim();
  }
}

/** What update-schema says it did: from which version, and how many updates it ran. */
export function updateSummary(output: string): { from: string; updates: number } | undefined {
  const ran = /running (\d+) updates for current version ([\d.]+)/.exec(output);
  if (ran) return { from: ran[2] as string, updates: Number(ran[1]) };
  const none = /found zero updates from current version ([\d.]+)/.exec(output);
  return none ? { from: none[1] as string, updates: 0 } : undefined;
}

/**
 * Creates Temporal's two databases if they are missing and brings their schema to the version the
 * server's module ships (create-database, setup-schema -v 0.0, update-schema), the steps Temporal's
 * own auto-setup takes. Safe to run on every start: an up-to-date database is left as it is.
 */
export async function prepareDatabases(
  databases: TemporalDatabases,
  tools: SchemaTools,
): Promise<SchemaResult[]> {
  const stores = [
    { database: databases.database, dir: join(tools.schemaDir, 'temporal', 'versioned') },
    { database: databases.visibilityDatabase, dir: join(tools.schemaDir, 'visibility', 'versioned') },
  ];
  const results: SchemaResult[] = [];
  for (const { database, dir } of stores) {
    // Each step leaves what is there alone: an existing database, tables, a version past 0.0.
    await sqlTool(tools, databases, database, ['create-database', '--defaultdb', 'postgres']);
    await sqlTool(tools, databases, database, ['setup-schema', '-v', '0.0']);
    const output = await sqlTool(tools, databases, database, ['update-schema', '-d', dir]);
    const version = await latestVersion(dir);
    results.push({ database, from: updateSummary(output)?.from ?? version, version });
  }
  return results;
}

/** The newest versioned folder, which update-schema has just brought the database to. */
async function latestVersion(dir: string): Promise<string> {
  const versions = (await readdir(dir)).filter((name) => /^v\d+\.\d+$/.test(name));
  const key = (name: string) => name.slice(1).split('.').map(Number) as [number, number];
  versions.sort((a, b) => key(a)[0] - key(b)[0] || key(a)[1] - key(b)[1]);
  return versions.at(-1)?.slice(1) ?? 'unknown';
}

/** Drops both databases (tests, and an operator starting over). The server must be stopped first. */
export async function dropDatabases(databases: TemporalDatabases, tools: SchemaTools): Promise<void> {
  for (const database of [databases.database, databases.visibilityDatabase]) {
    await sqlTool(tools, databases, database, ['drop-database', '--defaultdb', 'postgres', '--force']);
  }
}
