import type { Generated } from 'kysely';

/**
 * Troupe's own state, as tables: API keys, saved specs, the model cost ledger and the day budget's
 * holds, outcome records and (on PostgreSQL) blobs. JSON columns hold what no query looks inside.
 */
export interface StoreSchema {
  api_keys: ApiKeysTable;
  specs: SpecsTable;
  model_calls: ModelCallsTable;
  budget_holds: BudgetHoldsTable;
  outcomes: OutcomesTable;
  blobs: BlobsTable;
  alerts: AlertsTable;
}

export interface ApiKeysTable {
  id: string;
  name: string;
  /** JSON array of scopes. */
  scopes: string;
  /** sha256 of the key, hex: the key itself is never stored. */
  sha256: string;
  created_at: string;
  kind: string | null;
}

export interface SpecsTable {
  name: string;
  yaml: string;
  updated_at: string;
}

export interface ModelCallsTable {
  id: Generated<number>;
  ts: string;
  /** The UTC day of `ts`, `YYYY-MM-DD`: what the day budget sums over. */
  day: string;
  run_id: string;
  model_id: string;
  cost_usd: number;
  /** The whole ledger entry, JSON. */
  entry: string;
}

export interface BudgetHoldsTable {
  id: string;
  day: string;
  usd: number;
  /** ISO 8601: a hold whose process died stops counting then. */
  expires_at: string;
}

export interface OutcomesTable {
  run_id: string;
  step_id: string;
  ended_at: string;
  /** The whole outcome record, JSON. */
  record: string;
}

export interface BlobsTable {
  id: string;
  content: Buffer;
  bytes: number;
}

/** Alerts raised, one row each: the row is the claim that lets one API process of many send it. */
export interface AlertsTable {
  /** `<runId>:<metric>` for a regression. */
  id: string;
  raised_at: string;
  /** The whole alert, JSON. */
  alert: string;
}
