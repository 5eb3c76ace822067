import { appendFile, mkdir, open } from 'node:fs/promises';
import { dirname } from 'node:path';
import { z } from 'zod';
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

/**
 * Where model calls are recorded. An interface, so a PostgreSQL store can replace the JSONL file
 * without touching the callers: `spentOn` is one `SELECT sum(cost_usd) ... WHERE day = $1`.
 */
export interface CostLedger {
  record(entry: LedgerEntry): Promise<void>;
  /** USD spent on a UTC day (`YYYY-MM-DD`), for the daily budget. */
  spentOn(day: string): Promise<number>;
}

/** The UTC day of an instant, as the ledger groups spending. */
export function utcDay(at: Date): string {
  return at.toISOString().slice(0, 10);
}

/**
 * An append-only JSONL file. Each process appends whole lines (O_APPEND) and reads only what others
 * appended since its last read, so the daily total stays right across worker processes.
 */
export class JsonlCostLedger implements CostLedger {
  private offset = 0;
  private partial = '';
  private readonly byDay = new Map<string, number>();
  private reading: Promise<void> | undefined;

  constructor(readonly path: string) {}

  async record(entry: LedgerEntry): Promise<void> {
    const line = `${JSON.stringify(LedgerEntry.parse(entry))}\n`;
    await mkdir(dirname(this.path), { recursive: true });
    await appendFile(this.path, line, 'utf8');
  }

  async spentOn(day: string): Promise<number> {
    this.reading ??= this.catchUp().finally(() => (this.reading = undefined));
    await this.reading;
    return this.byDay.get(day) ?? 0;
  }

  /** Every entry in the file, for reports and tests. */
  async entries(): Promise<LedgerEntry[]> {
    const file = await open(this.path, 'r').catch(() => undefined);
    if (!file) return [];
    try {
      const text = await file.readFile('utf8');
      return text
        .split('\n')
        .filter((line) => line.trim())
        .map((line) => LedgerEntry.parse(JSON.parse(line)));
    } finally {
      await file.close();
    }
  }

  private async catchUp(): Promise<void> {
    const file = await open(this.path, 'r').catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') return undefined;
      throw err;
    });
    if (!file) return;
    try {
      const { size } = await file.stat();
      if (size < this.offset) {
        this.offset = 0;
        this.partial = '';
        this.byDay.clear();
      }
      if (size === this.offset) return;
      const buffer = Buffer.alloc(size - this.offset);
      await file.read(buffer, 0, buffer.length, this.offset);
      this.offset = size;
      const lines = (this.partial + buffer.toString('utf8')).split('\n');
      this.partial = lines.pop() ?? '';
      for (const line of lines) this.add(line);
    } finally {
      await file.close();
    }
  }

  private add(line: string): void {
    if (!line.trim()) return;
    try {
      const entry = JSON.parse(line) as Partial<LedgerEntry>;
      if (typeof entry.ts !== 'string' || typeof entry.costUsd !== 'number') return;
      const day = entry.ts.slice(0, 10);
      this.byDay.set(day, (this.byDay.get(day) ?? 0) + entry.costUsd);
    } catch {
      // A line cut short by a crash: its call was never confirmed, so it is not counted.
    }
  }
}

/** A ledger in memory: for the benchmark and for processes that need no record across restarts. */
export class MemoryCostLedger implements CostLedger {
  readonly entries: LedgerEntry[] = [];

  record(entry: LedgerEntry): Promise<void> {
    this.entries.push(LedgerEntry.parse(entry));
    return Promise.resolve();
  }

  spentOn(day: string): Promise<number> {
    return Promise.resolve(
      this.entries.filter((entry) => entry.ts.startsWith(day)).reduce((sum, entry) => sum + entry.costUsd, 0),
    );
  }
}
