import type { Kysely, Migration, MigrationProvider } from 'kysely';
import { importDataFiles } from './import-files';
import type { StoreKind } from './store';

/**
 * The store's migrations, in order, for both databases: each runs once per database, recorded in
 * `troupe_migrations`. Add a new one at the end; never edit one that has shipped.
 */
export function storeMigrations(
  kind: StoreKind,
  dataDir: string,
  log: (line: string) => void,
): MigrationProvider {
  const migrations: Record<string, Migration> = {
    '0001_state': {
      async up(db: Kysely<unknown>) {
        await db.schema
          .createTable('api_keys')
          .ifNotExists()
          .addColumn('id', 'text', (c) => c.primaryKey())
          .addColumn('name', 'text', (c) => c.notNull())
          .addColumn('scopes', 'text', (c) => c.notNull())
          .addColumn('sha256', 'text', (c) => c.notNull().unique())
          .addColumn('created_at', 'text', (c) => c.notNull())
          .addColumn('kind', 'text')
          .execute();
        await db.schema
          .createTable('specs')
          .ifNotExists()
          .addColumn('name', 'text', (c) => c.primaryKey())
          .addColumn('yaml', 'text', (c) => c.notNull())
          .addColumn('updated_at', 'text', (c) => c.notNull())
          .execute();
        await db.schema
          .createTable('model_calls')
          .ifNotExists()
          .addColumn('id', kind === 'postgres' ? 'bigserial' : 'integer', (c) =>
            kind === 'postgres' ? c.primaryKey() : c.primaryKey().autoIncrement(),
          )
          .addColumn('ts', 'text', (c) => c.notNull())
          .addColumn('day', 'text', (c) => c.notNull())
          .addColumn('run_id', 'text', (c) => c.notNull())
          .addColumn('model_id', 'text', (c) => c.notNull())
          .addColumn('cost_usd', 'double precision', (c) => c.notNull())
          .addColumn('entry', 'text', (c) => c.notNull())
          .execute();
        await db.schema
          .createIndex('model_calls_day')
          .ifNotExists()
          .on('model_calls')
          .columns(['day', 'cost_usd'])
          .execute();
        await db.schema
          .createTable('budget_holds')
          .ifNotExists()
          .addColumn('id', 'text', (c) => c.primaryKey())
          .addColumn('day', 'text', (c) => c.notNull())
          .addColumn('usd', 'double precision', (c) => c.notNull())
          .addColumn('expires_at', 'text', (c) => c.notNull())
          .execute();
        await db.schema
          .createIndex('budget_holds_day')
          .ifNotExists()
          .on('budget_holds')
          .columns(['day', 'expires_at'])
          .execute();
        await db.schema
          .createTable('outcomes')
          .ifNotExists()
          .addColumn('run_id', 'text', (c) => c.notNull())
          .addColumn('step_id', 'text', (c) => c.notNull())
          .addColumn('ended_at', 'text', (c) => c.notNull())
          .addColumn('record', 'text', (c) => c.notNull())
          .addPrimaryKeyConstraint('outcomes_pk', ['run_id', 'step_id'])
          .execute();
        await db.schema
          .createIndex('outcomes_ended_at')
          .ifNotExists()
          .on('outcomes')
          .column('ended_at')
          .execute();
        await db.schema
          .createTable('blobs')
          .ifNotExists()
          .addColumn('id', 'text', (c) => c.primaryKey())
          .addColumn('content', kind === 'postgres' ? 'bytea' : 'blob', (c) => c.notNull())
          .addColumn('bytes', 'integer', (c) => c.notNull())
          .execute();
      },
    },
    // Once per database: what the files of an older Troupe held moves in, so an upgrade loses nothing.
    '0002_import_data_files': {
      async up(db: Kysely<unknown>) {
        const counts = await importDataFiles(db, dataDir);
        if (Object.values(counts).some((count) => count > 0))
          log(
            `store: imported ${counts.keys} API keys, ${counts.specs} specs, ${counts.modelCalls} ledger lines and ${counts.outcomes} outcome records from the files in ${dataDir}`,
          );
      },
    },
    // Regression alerts: a row per alert sent, so several API processes (and restarts) send each once.
    '0003_alerts': {
      async up(db: Kysely<unknown>) {
        await db.schema
          .createTable('alerts')
          .ifNotExists()
          .addColumn('id', 'text', (c) => c.primaryKey())
          .addColumn('raised_at', 'text', (c) => c.notNull())
          .addColumn('alert', 'text', (c) => c.notNull())
          .execute();
      },
    },
  };
  return { getMigrations: () => Promise.resolve(migrations) };
}
