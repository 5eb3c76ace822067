import type { Server } from 'socket.io';
import { evaluations, type RunEvaluation } from '../learning/evaluations';
import type { OutcomeStore } from '../learning/outcome-store';
import type { TroupeStore } from '../store/store';
import { LiveEvent, type RegressionAlert } from './live-events';

/** Claims an alert: true for exactly one caller per alert id, across processes and restarts. */
export interface AlertClaims {
  claim(alert: RegressionAlert): Promise<boolean>;
}

/** Claims as rows of the state store's `alerts` table: an insert that does nothing on a conflict. */
export class StoreAlertClaims implements AlertClaims {
  constructor(private readonly store: TroupeStore) {}

  async claim(alert: RegressionAlert): Promise<boolean> {
    const db = await this.store.query();
    const result = await db
      .insertInto('alerts')
      .values({ id: alert.id, raised_at: alert.raisedAt, alert: JSON.stringify(alert) })
      .onConflict((oc) => oc.column('id').doNothing())
      .executeTakeFirst();
    return Number(result.numInsertedOrUpdatedRows ?? 0) > 0;
  }
}

/**
 * The alerts the evaluated runs raise: one per run and regressed metric, for runs that ended within
 * `windowMs` of `now` (older ones were alerted before, or happened while nobody watched). Pure.
 */
export function regressionAlerts(
  runs: readonly RunEvaluation[],
  { now, windowMs }: { now: number; windowMs: number },
): RegressionAlert[] {
  const raisedAt = new Date(now).toISOString();
  return runs
    .filter((run) => run.regressions.length > 0 && now - Date.parse(run.endedAt) <= windowMs)
    .flatMap((run) =>
      run.regressions.map((regression) => ({
        id: `${run.runId}:${regression.metric}`,
        kind: 'regression' as const,
        runId: run.runId,
        specName: run.specName,
        metric: regression.metric,
        value: regression.value,
        baseline: regression.baseline,
        worseBy: Number.isFinite(regression.worseBy) ? regression.worseBy : null,
        message: `${run.specName} run ${run.runId}: ${regression.message}`,
        endedAt: run.endedAt,
        raisedAt,
      })),
    );
}

/**
 * Sends every connected client an `alert` when an evaluation raises a regression. While this process
 * has clients, it rereads the outcome records whenever they changed (at most every `pollMs`),
 * evaluates them, and claims each new alert in the store; only the claim's winner emits, with
 * `io.emit`, which the Redis adapter carries to the clients of every API process. So each client sees
 * each regression once, however many API processes there are and however often they restart.
 */
export function watchRegressions(
  io: Server,
  {
    store,
    claims,
    pollMs,
    windowMs,
    onAlert,
    now = Date.now,
  }: {
    store: OutcomeStore;
    claims: AlertClaims;
    pollMs: number;
    windowMs: number;
    onAlert?: (alert: RegressionAlert) => void;
    now?: () => number;
  },
): { close: () => void; check: () => Promise<void> } {
  const handled = new Set<string>();
  let lastMark: string | undefined;
  let busy = false;
  const check = async () => {
    if (busy || io.engine.clientsCount === 0) return;
    busy = true;
    try {
      const mark = await store.mark?.();
      if (mark !== undefined && mark === lastMark) return;
      const alerts = regressionAlerts(evaluations(await store.list()).runs, { now: now(), windowMs });
      for (const alert of alerts) {
        if (handled.has(alert.id)) continue;
        if (await claims.claim(alert)) {
          io.emit(LiveEvent.Alert, alert);
          onAlert?.(alert);
        }
        handled.add(alert.id);
      }
      lastMark = mark;
    } catch {
      // A store that cannot be read now is read again at the next tick; alerts wait, nothing crashes.
    } finally {
      busy = false;
    }
  };
  const timer = setInterval(() => void check(), pollMs);
  timer.unref();
  return { close: () => clearInterval(timer), check };
}
