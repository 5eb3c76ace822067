import { mkdir, readdir, readFile, rename, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
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
 * publishes its breakers to a file under the data dir when one changes state, and the API reads them
 * all, so GET /api/models shows what the workers see. Files of processes that have exited on this
 * host are ignored.
 */
export class BreakerBoard {
  private writing: Promise<void> = Promise.resolve();
  private readonly file: string;

  constructor(
    private readonly dir: string,
    private readonly self = { host: hostname(), pid: process.pid },
  ) {
    this.file = join(dir, `${self.host}-${self.pid}.json`);
  }

  /** Writes this process's breakers; writes are queued so the last state always lands last. */
  publish(models: BoardFile['models'], halfOpenAfterMs: number): Promise<void> {
    const body: BoardFile = { ...this.self, updatedAt: new Date().toISOString(), halfOpenAfterMs, models };
    this.writing = this.writing
      .then(async () => {
        await mkdir(this.dir, { recursive: true });
        const temporary = `${this.file}.tmp`;
        await writeFile(temporary, JSON.stringify(body));
        await rename(temporary, this.file);
      })
      .catch((err: unknown) =>
        console.warn(`models: could not publish breaker states to ${this.dir}: ${String(err)}`),
      );
    return this.writing;
  }

  /** Resolves once every publish so far has been written. */
  settled(): Promise<void> {
    return this.writing;
  }

  /** The worst state each model has in any live process, with open circuits past their wait read as half-open. */
  async read(now = Date.now()): Promise<Record<string, BreakerState>> {
    const names = await readdir(this.dir).catch(() => [] as string[]);
    const merged: Record<string, BreakerState> = {};
    for (const name of names.filter((entry) => entry.endsWith('.json'))) {
      const parsed = BoardFile.safeParse(
        await readFile(join(this.dir, name), 'utf8')
          .then((text) => JSON.parse(text) as unknown)
          .catch(() => undefined),
      );
      if (!parsed.success || !alive(parsed.data)) continue;
      for (const [modelId, entry] of Object.entries(parsed.data.models)) {
        const state =
          entry.state === BreakerState.Open &&
          entry.openedAt !== undefined &&
          now - entry.openedAt >= parsed.data.halfOpenAfterMs
            ? BreakerState.HalfOpen
            : entry.state;
        merged[modelId] = worstBreakerState(state, merged[modelId]);
      }
    }
    return merged;
  }
}

function alive(file: BoardFile): boolean {
  if (file.host !== hostname()) return true;
  try {
    process.kill(file.pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
