import { MultiBar, Presets, type SingleBar } from 'cli-progress';
import { io } from 'socket.io-client';
import type { RunSnapshot, StepSnapshot } from '../engine/run-snapshot';
import type { TokenChunk } from '../models/token-stream';
import type { ApiClient } from './api-client';

const closed = new Set(['completed', 'failed', 'cancelled']);
const done = new Set(['completed', 'failed', 'skipped', 'cancelled']);

/** Progress of one step on a 0..total bar: foreach steps count items, others are 0 or 1. */
function progress(step: StepSnapshot): { value: number; total: number } {
  if (step.items) return { value: step.items.done, total: Math.max(step.items.total, 1) };
  return { value: done.has(step.status) ? 1 : 0, total: 1 };
}

/** How much of a streaming answer a bar shows: its last words, on one line. */
const TAIL = 48;

/**
 * Calls `onText` with the latest text each step's model calls stream (Socket.IO `run:tokens`), until
 * the returned function is called. Best effort: the bars work without it.
 */
export function followTokens(
  api: ApiClient,
  runId: string,
  onText: (stepId: string, text: string) => void,
): () => void {
  const socket = io(api.baseUrl, { transports: ['websocket'], auth: api.key ? { token: api.key } : {} });
  const texts = new Map<string, string>();
  socket.on('connect', () => socket.emit('subscribe', { runId }));
  socket.on('run:tokens', (chunk: TokenChunk) => {
    const text = `${texts.get(chunk.stream) ?? ''}${chunk.text}`.slice(-4 * TAIL);
    texts.set(chunk.stream, text);
    onText(chunk.stepId, text);
  });
  return () => void socket.disconnect();
}

/** The end of a text as one short line. */
const tail = (text: string) => text.replace(/\s+/g, ' ').trim().slice(-TAIL);

/**
 * Shows a live progress bar per step until the run closes, polling the run's state (the same
 * snapshot Socket.IO clients get), with the text a running step's model is writing, and answers the
 * final state.
 */
export async function followRun(
  api: ApiClient,
  runId: string,
  { interactive = process.stderr.isTTY }: { interactive?: boolean } = {},
): Promise<RunSnapshot> {
  const multibar = interactive
    ? new MultiBar(
        {
          format: ' {bar} {step} {status} {detail}',
          hideCursor: true,
          clearOnComplete: false,
          stream: process.stderr,
        },
        Presets.shades_classic,
      )
    : undefined;
  const bars = new Map<string, SingleBar>();
  const printed = new Map<string, string>();
  const streaming = new Map<string, string>();
  const stopTokens = multibar
    ? followTokens(api, runId, (stepId, text) => {
        streaming.set(stepId, tail(text));
        bars.get(stepId)?.update({ detail: streaming.get(stepId) });
      })
    : undefined;
  try {
    for (;;) {
      const { body: run } = await api.call<RunSnapshot>('GET', `/api/runs/${encodeURIComponent(runId)}`);
      for (const step of run.steps) {
        const { value, total } = progress(step);
        if (multibar) {
          const detail = step.status === 'running' ? (streaming.get(step.id) ?? '') : '';
          const payload = { step: step.id.padEnd(16), status: step.status.padEnd(9), detail };
          const bar = bars.get(step.id) ?? multibar.create(total, 0, payload);
          bars.set(step.id, bar);
          bar.setTotal(total);
          bar.update(value, payload);
        } else if (printed.get(step.id) !== step.status) {
          printed.set(step.id, step.status);
          process.stderr.write(`${step.id}: ${step.status}\n`);
        }
      }
      if (closed.has(run.status)) return run;
      await new Promise((resolve) => setTimeout(resolve, 300));
    }
  } finally {
    stopTokens?.();
    multibar?.stop();
  }
}
