import type { RunDeltaEvent, RunSnapshot, TokenChunk } from './types';

/**
 * A run after a delta, or `undefined` when the delta does not follow the version held (a gap: the
 * caller resubscribes for a fresh snapshot). A delta already applied leaves the run as it is.
 */
export function applyDelta(run: RunSnapshot | undefined, delta: RunDeltaEvent): RunSnapshot | undefined {
  if (!run) return undefined;
  if (delta.version <= run.version) return run;
  if (delta.from !== run.version) return undefined;
  const changed = new Map(delta.steps.map((step) => [step.id, step]));
  const steps = run.steps.map((step) => changed.get(step.id) ?? step);
  const known = new Set(run.steps.map((step) => step.id));
  for (const step of delta.steps) if (!known.has(step.id)) steps.push(step);
  return { ...run, ...delta.run, steps, compensations: delta.compensations ?? run.compensations };
}

/** The newer of two states of one run: a REST answer must not undo a live one. */
export function newer(current: RunSnapshot | undefined, next: RunSnapshot): RunSnapshot {
  return current && current.version > next.version ? current : next;
}

/** The text a step's model is writing now: its latest call, as far as the chunks so far tell. */
export type StepTokens = { stream: string; modelId: string; text: string; start: number; done: boolean };
export type RunTokens = Record<string, StepTokens>;

/**
 * Adds a chunk to a run's token text: a chunk of a new call replaces the old call's text (a late joiner
 * starts at the chunk's offset), a chunk that continues the text is appended, anything else is dropped.
 */
export function applyTokens(tokens: RunTokens, chunk: TokenChunk): RunTokens {
  const current = tokens[chunk.stepId];
  if (!current || current.stream !== chunk.stream) {
    return {
      ...tokens,
      [chunk.stepId]: {
        stream: chunk.stream,
        modelId: chunk.modelId,
        text: chunk.text,
        start: chunk.offset,
        done: chunk.done,
      },
    };
  }
  if (chunk.offset !== current.start + current.text.length) {
    return chunk.done ? { ...tokens, [chunk.stepId]: { ...current, done: true } } : tokens;
  }
  return {
    ...tokens,
    [chunk.stepId]: { ...current, text: current.text + chunk.text, done: chunk.done },
  };
}
