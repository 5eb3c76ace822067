import { hostname } from 'node:os';
import { z } from 'zod';
import { asStatusStore, type StatusStore, type StatusWriter } from '../status-board';
import { BreakerState } from './router-policy';

/** One worker process's breakers, as it last published them. */
export const BoardFile = z.object({
  host: z.string(),
  pid: z.int(),
  updatedAt: z.string(),
  halfOpenAfterMs: z.number(),
  models: z.record(
    z.string(),
    z.object({
      state: z.enum(Object.values(BreakerState) as [BreakerState, ...BreakerState[]]),
      openedAt: z.number().optional(),
    }),
  ),
});
export type BoardFile = z.infer<typeof BoardFile>;

const severity: Record<BreakerState, number> = { closed: 0, 'half-open': 1, open: 2 };

/** Of two views of one breaker, the one that warns most. */
export function worstBreakerState(a: BreakerState, b: BreakerState | undefined): BreakerState {
  return b !== undefined && severity[b] > severity[a] ? b : a;
}

/**
 * Breakers live in the worker processes that make the calls; the API runs elsewhere. Each process
 * publishes its breakers to the status store (Redis with REDIS_URL, else a file under the data dir)
 * when one changes state, and the API reads them all, so GET /api/models shows what the workers see.
 * Entries of processes that have exited are ignored.
 */
export class BreakerBoard {
  private readonly writer: StatusWriter<BoardFile>;
  private readonly store: StatusStore;

  constructor(
    where: string | StatusStore,
    private readonly self = { host: hostname(), pid: process.pid },
  ) {
    this.store = asStatusStore(where);
    this.writer = this.store.writer('models', self);
  }

  /** Writes this process's breakers; writes are queued so the last state always lands last. */
  publish(models: BoardFile['models'], halfOpenAfterMs: number): Promise<void> {
    return this.writer.write({ ...this.self, updatedAt: new Date().toISOString(), halfOpenAfterMs, models });
  }

  /** Resolves once every publish so far has been written. */
  settled(): Promise<void> {
    return this.writer.settled();
  }

  /** The worst state each model has in any live process, with open circuits past their wait read as half-open. */
  async read(now = Date.now()): Promise<Record<string, BreakerState>> {
    const merged: Record<string, BreakerState> = {};
    for (const file of (await this.store.read(BoardFile)).live) {
      for (const [modelId, entry] of Object.entries(file.models)) {
        const state =
          entry.state === BreakerState.Open &&
          entry.openedAt !== undefined &&
          now - entry.openedAt >= file.halfOpenAfterMs
            ? BreakerState.HalfOpen
            : entry.state;
        merged[modelId] = worstBreakerState(state, merged[modelId]);
      }
    }
    return merged;
  }
}
