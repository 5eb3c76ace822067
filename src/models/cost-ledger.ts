import { randomUUID } from 'node:crypto';
import { sql, type Kysely } from 'kysely';
import { z } from 'zod';
import type { StoreSchema } from '../store/schema';
import type { TroupeStore } from '../store/store';
import { AttemptOutcome } from './model-failures';

/** One model call as the ledger keeps it: who asked, which model, what it cost and how it ended. */
export const LedgerEntry = z.object({
  ts: z.iso.datetime(),
  runId: z.string(),
  stepId: z.string(),
  agent: z.string().optional(),
  modelId: z.string(),
  provider: z.string(),
  inputTokens: z.int().min(0),
  outputTokens: z.int().min(0),
  costUsd: z.number().min(0),
  /** Local models cost nothing per token; the ledger records the time they took instead. */
  computeSeconds: z.number().min(0).optional(),
  latencyMs: z.number().min(0),
  outcome: z.enum(Object.values(AttemptOutcome) as [AttemptOutcome, ...AttemptOutcome[]]),
  error: z.string().optional(),
  simulated: z.boolean().optional(),
});
export type LedgerEntry = z.infer<typeof LedgerEntry>;

/** A share of the day budget held for a call about to start, or why there was no room for it. */
export type DayHold =
  { ok: true; release(): Promise<void> } | { ok: false; spentUsd: number; heldUsd: number };

/** Where model calls are recorded, and the day budget is held: the state store, or memory. */
export interface CostLedger {
  record(entry: LedgerEntry): Promise<void>;
  /** USD spent on a UTC day (`YYYY-MM-DD`), for the daily budget. */
  spentOn(day: string): Promise<number>;
  /**
   * Holds `usd` of a day's budget for a call about to start, when what was spent that day, what
   * other calls hold and `usd` fit within `limitUsd`: one check-and-hold, atomic across every
   * process sharing the ledger, so two workers can never both take the last of the budget. A hold
   * lasts until released (after the call was recorded) or `ttlMs`, if its process dies first.
   */
  holdDay(args: { day: string; usd: number; limitUsd: number; ttlMs: number }): Promise<DayHold>;
  /** Every entry since a UTC day (all of them without one), oldest first, for reports and tests. */
  entries(since?: string): Promise<LedgerEntry[]>;
}

/** The UTC day of an instant, as the ledger groups spending. */
export function utcDay(at: Date): string {
  return at.toISOString().slice(0, 10);
}

/**
 * The ledger in the state store (src/store): one row per model call in `model_calls`, and the day
 * budget's holds in `budget_holds`. On SQLite the check-and-hold is one INSERT ... SELECT, which
 * runs under the database's write lock; on PostgreSQL the same statement runs in a transaction
 * holding an advisory lock for the day, so concurrent holds of any process queue one behind another.
 */
export class StoreCostLedger implements CostLedger {
  constructor(private readonly store: TroupeStore) {}

  async record(entry: LedgerEntry): Promise<void> {
    const parsed = LedgerEntry.parse(entry);
    const db = await this.store.query();
    await db
      .insertInto('model_calls')
      .values({
        ts: parsed.ts,
        day: parsed.ts.slice(0, 10),
        run_id: parsed.runId,
        model_id: parsed.modelId,
        cost_usd: parsed.costUsd,
        entry: JSON.stringify(parsed),
      })
      .execute();
  }

  async spentOn(day: string): Promise<number> {
    const db = await this.store.query();
    return spentOn(db, day);
  }

  async entries(since?: string): Promise<LedgerEntry[]> {
    const db = await this.store.query();
    let query = db.selectFrom('model_calls').select('entry').orderBy('ts').orderBy('id');
    if (since) query = query.where('day', '>=', since);
    const rows = await query.execute();
    return rows.map((row) => LedgerEntry.parse(JSON.parse(row.entry)));
  }

  async holdDay({ day, usd, limitUsd, ttlMs }: Parameters<CostLedger['holdDay']>[0]): Promise<DayHold> {
    const db = await this.store.query();
    const id = randomUUID();
    const now = new Date();
    const nowIso = now.toISOString();
    const expires = new Date(now.getTime() + ttlMs).toISOString();
    const hold = (conn: Kysely<StoreSchema>) =>
      sql`insert into budget_holds (id, day, usd, expires_at)
        select ${id}, ${day}, cast(${usd} as double precision), ${expires}
        where (select coalesce(sum(cost_usd), 0) from model_calls where day = ${day})
          + (select coalesce(sum(usd), 0) from budget_holds where day = ${day} and expires_at > ${nowIso})
          + cast(${usd} as double precision) <= cast(${limitUsd} as double precision)`.execute(conn);
    const result =
      this.store.kind === 'postgres'
        ? await db.transaction().execute(async (trx) => {
            await sql`select pg_advisory_xact_lock(hashtext(${`troupe-day-budget:${day}`}))`.execute(trx);
            return hold(trx);
          })
        : await hold(db);
    if ((result.numAffectedRows ?? 0n) > 0n) {
      return {
        ok: true,
        release: async () => {
          await db
            .deleteFrom('budget_holds')
            .where((eb) => eb.or([eb('id', '=', id), eb('expires_at', '<=', new Date().toISOString())]))
            .execute();
        },
      };
    }
    const held = await db
      .selectFrom('budget_holds')
      .select(sql<number>`coalesce(sum(usd), 0)`.as('usd'))
      .where('day', '=', day)
      .where('expires_at', '>', nowIso)
      .executeTakeFirst();
    return { ok: false, spentUsd: await spentOn(db, day), heldUsd: Number(held?.usd ?? 0) };
  }
}

async function spentOn(db: Kysely<StoreSchema>, day: string): Promise<number> {
  const row = await db
    .selectFrom('model_calls')
    .select(sql<number>`coalesce(sum(cost_usd), 0)`.as('usd'))
    .where('day', '=', day)
    .executeTakeFirst();
  return Number(row?.usd ?? 0);
}

/** A ledger in memory: for the benchmark and for processes that need no record across restarts. */
export class MemoryCostLedger implements CostLedger {
  readonly calls: LedgerEntry[] = [];
  private readonly holds = new Map<string, { day: string; usd: number }>();

  record(entry: LedgerEntry): Promise<void> {
    this.calls.push(LedgerEntry.parse(entry));
    return Promise.resolve();
  }

  spentOn(day: string): Promise<number> {
    return Promise.resolve(this.spent(day));
  }

  entries(since?: string): Promise<LedgerEntry[]> {
    return Promise.resolve(this.calls.filter((entry) => !since || entry.ts.slice(0, 10) >= since));
  }

  holdDay({ day, usd, limitUsd }: Parameters<CostLedger['holdDay']>[0]): Promise<DayHold> {
    const spentUsd = this.spent(day);
    const heldUsd = [...this.holds.values()]
      .filter((hold) => hold.day === day)
      .reduce((sum, hold) => sum + hold.usd, 0);
    if (spentUsd + heldUsd + usd > limitUsd) return Promise.resolve({ ok: false, spentUsd, heldUsd });
    const id = randomUUID();
    this.holds.set(id, { day, usd });
    return Promise.resolve({
      ok: true,
      release: () => {
        this.holds.delete(id);
        return Promise.resolve();
      },
    });
  }

  private spent(day: string): number {
    return this.calls
      .filter((entry) => entry.ts.startsWith(day))
      .reduce((sum, entry) => sum + entry.costUsd, 0);
  }
}
