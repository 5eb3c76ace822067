import { closeSync, mkdirSync, openSync } from 'node:fs';
import { join, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { Kysely, Migrator, PostgresDialect, sql, SqliteDialect } from 'kysely';
import pg from 'pg';
import { logger } from '../observability/logger';
import { storeMigrations } from './migrations';
import type { StoreSchema } from './schema';

export type StoreKind = 'sqlite' | 'postgres';

/** Where the store is: PostgreSQL when DATABASE_URL is set, else SQLite in the data folder. */
export type StoreLocation = { TROUPE_DATA_DIR: string; DATABASE_URL?: string | undefined };

/** The embedded store's file: one for every process sharing the data folder. */
export const sqliteStorePath = (dataDir: string) => join(dataDir, 'state.sqlite');

/** How long a writer waits for another process's write to finish before SQLite answers SQLITE_BUSY. */
export const SQLITE_BUSY_TIMEOUT_MS = 10_000;

/** A DATABASE_URL fit for messages: the password is never shown. */
export function describeDatabaseUrl(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.hostname}:${parsed.port || '5432'}${parsed.pathname}`;
  } catch {
    return '(DATABASE_URL, not a URL)';
  }
}

/**
 * Troupe's own state in one database, behind one query layer (Kysely) and one set of migrations:
 * PostgreSQL when DATABASE_URL is set, else SQLite in WAL mode under the data folder, which every
 * process of `npm start` opens at once. Migrations (and the one-time import of older files) run on
 * first use, once per database, however many processes start together.
 */
export class TroupeStore {
  readonly db: Kysely<StoreSchema>;
  readonly kind: StoreKind;
  /** Where, for messages: a file path, or host:port/database. */
  readonly where: string;
  private readonly dataDir: string;
  private readonly databaseUrl: string | undefined;
  private migrated: Promise<Kysely<StoreSchema>> | undefined;

  constructor(
    location: StoreLocation,
    private readonly log: (line: string) => void = () => undefined,
  ) {
    const dataDir = resolve(location.TROUPE_DATA_DIR);
    this.dataDir = dataDir;
    this.databaseUrl = location.DATABASE_URL;
    if (location.DATABASE_URL) {
      this.kind = 'postgres';
      this.where = `PostgreSQL at ${describeDatabaseUrl(location.DATABASE_URL)}`;
      const pool = new pg.Pool({ connectionString: location.DATABASE_URL, max: 10, allowExitOnIdle: true });
      // An idle connection that breaks (the server restarted) is dropped from the pool, not fatal.
      pool.on('error', () => undefined);
      this.db = new Kysely<StoreSchema>({ dialect: new PostgresDialect({ pool }) });
    } else {
      this.kind = 'sqlite';
      const path = sqliteStorePath(dataDir);
      this.where = path;
      this.db = new Kysely<StoreSchema>({
        dialect: new SqliteDialect({
          database: () => {
            mkdirSync(dataDir, { recursive: true });
            // Made private before SQLite opens it; its -wal and -shm files take the same mode.
            closeSync(openSync(path, 'a', 0o600));
            const database = new Database(path, { timeout: SQLITE_BUSY_TIMEOUT_MS });
            database.pragma('journal_mode = WAL');
            database.pragma(`busy_timeout = ${SQLITE_BUSY_TIMEOUT_MS}`);
            database.pragma('synchronous = NORMAL');
            return Promise.resolve(database);
          },
        }),
      });
    }
  }

  /** The database, migrated: every query goes through here. */
  query(): Promise<Kysely<StoreSchema>> {
    this.migrated ??= this.migrate().catch((err: unknown) => {
      // The next query tries again: a database that was down at start may be up now.
      this.migrated = undefined;
      throw new Error(`Troupe's state store (${this.where}) cannot be opened: ${messageOf(err)}`, {
        cause: err,
      });
    });
    return this.migrated;
  }

  async close(): Promise<void> {
    await this.db.destroy();
  }

  private async migrate(): Promise<Kysely<StoreSchema>> {
    for (let attempt = 1; ; attempt++) {
      try {
        if (this.kind === 'postgres') await this.migratePostgres();
        else await this.migrateSqlite();
        return this.db;
      } catch (err) {
        // Processes starting together race to create the first tables; the loser tries again.
        if (attempt >= 5 || !raced(err)) throw err;
        await new Promise((done) => setTimeout(done, 50 * attempt + Math.random() * 100));
      }
    }
  }

  /**
   * SQLite: the whole migration holds the write lock (BEGIN IMMEDIATE, waiting out the busy
   * timeout), so two processes never both run it; Kysely's migrator takes no lock of its own there.
   */
  private async migrateSqlite(): Promise<void> {
    await this.db.connection().execute(async (conn) => {
      await sql`begin immediate`.execute(conn);
      try {
        await this.runMigrator(conn);
        await sql`commit`.execute(conn);
      } catch (err) {
        await sql`rollback`.execute(conn).catch(() => undefined);
        throw err;
      }
    });
  }

  /** PostgreSQL: Kysely's migrator runs in one transaction under an advisory lock. */
  private async migratePostgres(): Promise<void> {
    try {
      await this.runMigrator(this.db);
    } catch (err) {
      if ((err as { code?: string }).code !== '3D000' || !this.databaseUrl) throw err;
      await createDatabase(this.databaseUrl);
      await this.runMigrator(this.db);
    }
  }

  private async runMigrator(db: Kysely<StoreSchema>): Promise<void> {
    const migrator = new Migrator({
      db,
      provider: storeMigrations(this.kind, this.dataDir, this.log),
      migrationTableName: 'troupe_migrations',
      migrationLockTableName: 'troupe_migrations_lock',
    });
    const { error, results } = await migrator.migrateToLatest();
    if (error) throw error instanceof Error ? error : new Error(messageOf(error));
    const ran = (results ?? []).filter((result) => result.status === 'Success');
    if (ran.length > 0)
      this.log(`store: migrated ${this.where} (${ran.map((result) => result.migrationName).join(', ')})`);
  }
}

/** The database DATABASE_URL names, made on first start as Temporal's are (the user may create databases). */
async function createDatabase(url: string): Promise<void> {
  const target = new URL(url);
  const name = decodeURIComponent(target.pathname.slice(1));
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(name))
    throw new Error(
      `DATABASE_URL names the database "${name}", which does not exist; create it, or name one of lower-case letters, digits and _`,
    );
  const admin = new URL(url);
  admin.pathname = '/postgres';
  const client = new pg.Client({ connectionString: admin.toString() });
  await client.connect();
  try {
    await client.query(`CREATE DATABASE ${name}`).catch((err: { code?: string }) => {
      if (err.code !== '42P04') throw err;
    });
  } finally {
    await client.end();
  }
}

function raced(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code !== 'string') return false;
  return code.startsWith('SQLITE_BUSY') || code === '23505' || code === '42P07' || code === '40P01';
}

function messageOf(err: unknown): string {
  if (err instanceof AggregateError && err.errors.length > 0) return messageOf(err.errors[0]);
  return err instanceof Error ? err.message || String(err) : String(err);
}

const shared = new Map<string, TroupeStore>();

/**
 * This process's store for a location, opened once and shared by the API, the workers and the
 * model runtime in it, so one process holds one connection (SQLite) or one pool (PostgreSQL). What it
 * says (a migration ran) goes to `log`, the process's JSON log unless its first opener asks otherwise,
 * so a worker's or an API's stdout stays one JSON object per line.
 */
export function storeOf(
  location: StoreLocation,
  log: (line: string) => void = (line) => logger('troupe').info(line),
): TroupeStore {
  const key = location.DATABASE_URL || sqliteStorePath(resolve(location.TROUPE_DATA_DIR));
  let store = shared.get(key);
  if (!store) {
    store = new TroupeStore(location, log);
    shared.set(key, store);
  }
  return store;
}

/** The location of the environment's store: DATABASE_URL, or the data folder given. */
export const storeLocation = (dataDir: string, env: NodeJS.ProcessEnv = process.env): StoreLocation => ({
  TROUPE_DATA_DIR: dataDir,
  DATABASE_URL: env.DATABASE_URL?.trim() || undefined,
});

/** Closes every store this process opened, for a clean exit. */
export async function closeStores(): Promise<void> {
  const stores = [...shared.values()];
  shared.clear();
  await Promise.all(stores.map((store) => store.close()));
}

/**
 * Cluster mode's default for Troupe's own state: a database `<temporal database>_troupe` on the
 * PostgreSQL server that holds Temporal's, created when missing. Answers its URL.
 */
export async function ensureClusterStateDatabase(server: {
  host: string;
  port: number;
  user: string;
  password: string;
  database: string;
}): Promise<string> {
  const name = `${server.database}_troupe`;
  const auth = `${encodeURIComponent(server.user)}${server.password ? `:${encodeURIComponent(server.password)}` : ''}`;
  const host = server.host.includes(':') ? `[${server.host}]` : server.host;
  const url = (database: string) => `postgres://${auth}@${host}:${server.port}/${database}`;
  const client = new pg.Client({ connectionString: url('postgres') });
  try {
    await client.connect();
    const found = await client.query('select 1 from pg_database where datname = $1', [name]);
    // The name is checked (lower-case letters, digits and _) by TEMPORAL_DATABASE_URL's parser.
    if (found.rowCount === 0) await client.query(`create database ${name}`).catch(ignoreDuplicateDatabase);
  } catch (err) {
    throw new Error(
      `could not create Troupe's state database ${name} on ${server.host}:${server.port}: ${(err as Error).message}`,
    );
  } finally {
    await client.end().catch(() => undefined);
  }
  return url(name);
}

/** Another process created it first: as good. */
function ignoreDuplicateDatabase(err: unknown): void {
  if ((err as { code?: string }).code !== '42P04') throw err;
}
