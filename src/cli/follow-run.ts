import { MultiBar, Presets, type SingleBar } from 'cli-progress';
import type { RunSnapshot, StepSnapshot } from '../engine/run-snapshot';
import type { ApiClient } from './api-client';

const closed = new Set(['completed', 'failed', 'cancelled']);
const done = new Set(['completed', 'failed', 'skipped', 'cancelled']);

/** Progress of one step on a 0..total bar: foreach steps count items, others are 0 or 1. */
function progress(step: StepSnapshot): { value: number; total: number } {
  if (step.items) return { value: step.items.done, total: Math.max(step.items.total, 1) };
  return { value: done.has(step.status) ? 1 : 0, total: 1 };
}

/**
 * Shows a live progress bar per step until the run closes, polling the run's state (the same
 * snapshot Socket.IO clients get), and answers the final state.
 */
export async function followRun(
  api: ApiClient,
  runId: string,
  { interactive = process.stderr.isTTY }: { interactive?: boolean } = {},
): Promise<RunSnapshot> {
  const multibar = interactive
    ? new MultiBar(
        {
          format: ' {bar} {step} {status}',
          hideCursor: true,
          clearOnComplete: false,
          stream: process.stderr,
        },
        Presets.shades_classic,
      )
    : undefined;
  const bars = new Map<string, SingleBar>();
  const printed = new Map<string, string>();
  try {
    for (;;) {
      const { body: run } = await api.call<RunSnapshot>('GET', `/api/runs/${encodeURIComponent(runId)}`);
      for (const step of run.steps) {
        const { value, total } = progress(step);
        if (multibar) {
          const bar =
            bars.get(step.id) ?? multibar.create(total, 0, { step: step.id.padEnd(16), status: step.status });
          bars.set(step.id, bar);
          bar.setTotal(total);
          bar.update(value, { step: step.id.padEnd(16), status: step.status });
        } else if (printed.get(step.id) !== step.status) {
          printed.set(step.id, step.status);
          process.stderr.write(`${step.id}: ${step.status}\n`);
        }
      }
      if (closed.has(run.status)) return run;
      await new Promise((resolve) => setTimeout(resolve, 300));
    }
  } finally {
    multibar?.stop();
  }
}
