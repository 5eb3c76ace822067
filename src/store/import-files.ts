import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Kysely } from 'kysely';
import { z } from 'zod';
import { ApiKeyRecord } from '../api/api-keys';
import { OutcomeRecord, outcomeKey } from '../learning/outcome-record';
import { LedgerEntry } from '../models/cost-ledger';
import type { StoreSchema } from './schema';

/** Where an older Troupe kept its state in the data folder; read once by the import, never written. */
export const legacyFiles = (dataDir: string) => ({
  apiKeys: join(dataDir, 'api-keys.json'),
  specs: join(dataDir, 'specs'),
  ledger: join(dataDir, 'ledger', 'model-calls.jsonl'),
  outcomes: join(dataDir, 'outcomes', 'step-outcomes.jsonl'),
});

export type ImportCounts = { keys: number; specs: number; modelCalls: number; outcomes: number };

const readText = (path: string) =>
  readFile(path, 'utf8').catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return undefined;
    throw err;
  });

/** The lines of a JSONL file that parse with `schema`; a line cut short by a crash is skipped, as the file stores did. */
function jsonLines<T>(text: string | undefined, schema: z.ZodType<T>): T[] {
  const values: T[] = [];
  for (const line of (text ?? '').split('\n')) {
    if (!line.trim()) continue;
    try {
      const parsed = schema.safeParse(JSON.parse(line));
      if (parsed.success) values.push(parsed.data);
    } catch {
      // not JSON: skipped
    }
  }
  return values;
}

const SpecFileName = /^([A-Za-z0-9_.-]{1,100})\.yaml$/;

/**
 * Moves what the files of an older Troupe held into the store: API keys, saved specs, ledger lines
 * and outcome records. It runs inside the migration that records it, so it happens once per
 * database. The files stay where they are (nothing reads them any more), so a downgrade still works.
 */
export async function importDataFiles(db: Kysely<unknown>, dataDir: string): Promise<ImportCounts> {
  const store = db as Kysely<StoreSchema>;
  const files = legacyFiles(dataDir);
  const counts: ImportCounts = { keys: 0, specs: 0, modelCalls: 0, outcomes: 0 };

  const keysText = await readText(files.apiKeys);
  if (keysText !== undefined) {
    const parsed = z.object({ keys: z.array(ApiKeyRecord) }).safeParse(JSON.parse(keysText));
    if (!parsed.success)
      throw new Error(
        `${files.apiKeys} is not a valid key file, so its keys cannot be imported: ${parsed.error.message}`,
      );
    for (const record of parsed.data.keys) {
      await store
        .insertInto('api_keys')
        .values({
          id: record.id,
          name: record.name,
          scopes: JSON.stringify(record.scopes),
          sha256: record.sha256,
          created_at: record.createdAt,
          kind: record.kind ?? null,
        })
        .onConflict((oc) => oc.doNothing())
        .execute();
      counts.keys += 1;
    }
  }

  const specFiles = await readdir(files.specs).catch(() => [] as string[]);
  for (const file of specFiles.sort()) {
    const name = SpecFileName.exec(file)?.[1];
    if (!name) continue;
    const path = join(files.specs, file);
    const [yaml, info] = await Promise.all([readFile(path, 'utf8'), stat(path)]);
    await store
      .insertInto('specs')
      .values({ name, yaml, updated_at: info.mtime.toISOString() })
      .onConflict((oc) => oc.column('name').doNothing())
      .execute();
    counts.specs += 1;
  }

  const entries = jsonLines(await readText(files.ledger), LedgerEntry);
  for (let i = 0; i < entries.length; i += 200) {
    const rows = entries.slice(i, i + 200).map((entry) => ({
      ts: entry.ts,
      day: entry.ts.slice(0, 10),
      run_id: entry.runId,
      model_id: entry.modelId,
      cost_usd: entry.costUsd,
      entry: JSON.stringify(entry),
    }));
    await store.insertInto('model_calls').values(rows).execute();
    counts.modelCalls += rows.length;
  }

  // The last line per run and step wins, as it did when the file was the store.
  const byKey = new Map<string, OutcomeRecord>();
  for (const record of jsonLines(await readText(files.outcomes), OutcomeRecord)) {
    byKey.delete(outcomeKey(record));
    byKey.set(outcomeKey(record), record);
  }
  for (const record of byKey.values()) {
    await store
      .insertInto('outcomes')
      .values({
        run_id: record.runId,
        step_id: record.stepId,
        ended_at: record.endedAt,
        record: JSON.stringify(record),
      })
      .onConflict((oc) => oc.columns(['run_id', 'step_id']).doNothing())
      .execute();
    counts.outcomes += 1;
  }
  return counts;
}
