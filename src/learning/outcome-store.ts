import { appendFile, mkdir, readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { OutcomeRecord, outcomeKey } from './outcome-record';

/** The embedded store's file in a data folder; the workers write it and the API reads it. */
export const outcomeStorePath = (dataDir: string) => join(dataDir, 'outcomes', 'step-outcomes.jsonl');

/**
 * Where outcome records live. An interface, so the production store of issue 15 (PostgreSQL) can
 * replace the embedded one without touching callers: `put` is an `INSERT ... ON CONFLICT (run_id,
 * step_id) DO UPDATE`, `list` a `SELECT ... ORDER BY ended_at`.
 */
export interface OutcomeStore {
  /** Writes a record; writing the same run and step again replaces it (idempotent under retries). */
  put(record: OutcomeRecord): Promise<void>;
  /** Every record, one per run and step, oldest first. */
  list(): Promise<OutcomeRecord[]>;
}

/**
 * The embedded store: an append-only JSONL file in the data folder, like the model cost ledger.
 * better-sqlite3 is not among the project's packages and Node 20 has no built-in SQLite, so a file of
 * whole lines (O_APPEND, safe across processes) it is; on reading, the last line per run and step
 * wins, so a retried write never counts twice. A put whose record is already there appends nothing.
 */
export class JsonlOutcomeStore implements OutcomeStore {
  constructor(readonly path: string) {}

  async put(record: OutcomeRecord): Promise<void> {
    const parsed = OutcomeRecord.parse(record);
    const line = JSON.stringify(parsed);
    const existing = (await this.readAll()).get(outcomeKey(parsed));
    if (existing && JSON.stringify(existing) === line) return;
    await mkdir(dirname(this.path), { recursive: true });
    await appendFile(this.path, `${line}\n`, 'utf8');
  }

  async list(): Promise<OutcomeRecord[]> {
    return [...(await this.readAll()).values()].sort((a, b) => a.endedAt.localeCompare(b.endedAt));
  }

  private async readAll(): Promise<Map<string, OutcomeRecord>> {
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return new Map();
      throw err;
    }
    const byKey = new Map<string, OutcomeRecord>();
    for (const line of text.split('\n')) {
      if (!line.trim()) continue;
      // A line another process is still writing, or one from an older schema, is skipped, not fatal.
      let value: unknown;
      try {
        value = JSON.parse(line);
      } catch {
        continue;
      }
      const parsed = OutcomeRecord.safeParse(value);
      if (!parsed.success) continue;
      const key = outcomeKey(parsed.data);
      byKey.delete(key);
      byKey.set(key, parsed.data);
    }
    return byKey;
  }
}
