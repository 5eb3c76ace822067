import { OutcomeRecord } from './outcome-record';
import type { TroupeStore } from '../store/store';

/**
 * Where outcome records live. An interface, so learning code and its tests need no database:
 * the workers write through the state store's implementation and the API reads it.
 */
export interface OutcomeStore {
  /** Writes a record; writing the same run and step again replaces it (idempotent under retries). */
  put(record: OutcomeRecord): Promise<void>;
  /** Every record, one per run and step, oldest first. */
  list(): Promise<OutcomeRecord[]>;
  /** Changes whenever records are added (count and newest end), so readers can skip rereading all. */
  mark?(): Promise<string>;
}

/**
 * Outcome records in the state store (src/store), one row per run and step: a put is an
 * `INSERT ... ON CONFLICT (run_id, step_id) DO UPDATE`, so a retried write never counts twice.
 */
export class StoreOutcomeStore implements OutcomeStore {
  constructor(private readonly store: TroupeStore) {}

  async put(record: OutcomeRecord): Promise<void> {
    const parsed = OutcomeRecord.parse(record);
    const db = await this.store.query();
    const row = { ended_at: parsed.endedAt, record: JSON.stringify(parsed) };
    await db
      .insertInto('outcomes')
      .values({ run_id: parsed.runId, step_id: parsed.stepId, ...row })
      .onConflict((oc) => oc.columns(['run_id', 'step_id']).doUpdateSet(row))
      .execute();
  }

  async mark(): Promise<string> {
    const db = await this.store.query();
    const row = await db
      .selectFrom('outcomes')
      .select((eb) => [eb.fn.countAll<number | string>().as('n'), eb.fn.max('ended_at').as('last')])
      .executeTakeFirst();
    return `${String(row?.n ?? 0)}:${row?.last ?? ''}`;
  }

  async list(): Promise<OutcomeRecord[]> {
    const db = await this.store.query();
    const rows = await db
      .selectFrom('outcomes')
      .select('record')
      .orderBy('ended_at')
      .orderBy('run_id')
      .orderBy('step_id')
      .execute();
    // A record from an older schema is skipped, not fatal.
    return rows.flatMap((row) => {
      const parsed = OutcomeRecord.safeParse(JSON.parse(row.record));
      return parsed.success ? [parsed.data] : [];
    });
  }
}
