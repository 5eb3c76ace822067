import type { CreateSchedule, OverlapPolicy } from '../../api/page-types';
import { describeCron } from '../../components/CronText';

export const overlapPolicies: { value: OverlapPolicy; label: string }[] = [
  { value: 'skip', label: 'Skip: do not start while the previous run is going' },
  { value: 'buffer-one', label: 'Buffer one: start one run after the previous ends' },
  { value: 'buffer-all', label: 'Buffer all: start every missed run, one after another' },
  { value: 'cancel-other', label: 'Cancel other: cancel the previous run, then start' },
  { value: 'terminate-other', label: 'Terminate other: terminate the previous run, then start' },
  { value: 'allow-all', label: 'Allow all: start runs side by side' },
];

export type ScheduleDraft = {
  id: string;
  specName: string;
  timing: 'cron' | 'every';
  cron: string;
  every: string;
  overlap: OverlapPolicy;
  input: string;
  paused: boolean;
};

export const emptyDraft: ScheduleDraft = {
  id: '',
  specName: '',
  timing: 'cron',
  cron: '0 9 * * MON-FRI',
  every: '15m',
  overlap: 'skip',
  input: '',
  paused: false,
};

const DURATION = /^\d+(\.\d+)?\s*(ms|s|m|h|d|milliseconds?|seconds?|minutes?|hours?|days?)$/;
const ID = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$/;

/**
 * The request body for a draft, or what is wrong with it, field by field: the same rules as the
 * API's (which checks again and has the last word), so mistakes show before anything is sent.
 */
export function scheduleRequest(
  draft: ScheduleDraft,
): { ok: true; body: CreateSchedule } | { ok: false; errors: Partial<Record<keyof ScheduleDraft, string>> } {
  const errors: Partial<Record<keyof ScheduleDraft, string>> = {};
  if (!ID.test(draft.id))
    errors.id = 'An id has letters, digits, _, . and - only, and starts with a letter or digit.';
  if (!draft.specName) errors.specName = 'Pick the saved spec the schedule runs.';
  const cron = draft.cron
    .split('\n')
    .map((line) => line.trim())
    .filter(Boolean);
  if (draft.timing === 'cron') {
    if (cron.length === 0) errors.cron = 'Give a cron expression, such as 0 9 * * MON-FRI.';
    const bad = cron.map(describeCron).find((words) => !words.ok);
    if (bad && !bad.ok) errors.cron = `Not a cron expression: ${bad.error}`;
  } else if (!DURATION.test(draft.every.trim())) {
    errors.every = 'An interval looks like 30s, 15m, 2h or 1d.';
  }
  let input: Record<string, unknown> = {};
  if (draft.input.trim()) {
    try {
      const parsed: unknown = JSON.parse(draft.input);
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
        throw new Error('not an object');
      input = parsed as Record<string, unknown>;
    } catch {
      errors.input = 'The input is a JSON object, such as {"name": "world"}.';
    }
  }
  if (Object.keys(errors).length > 0) return { ok: false, errors };
  return {
    ok: true,
    body: {
      id: draft.id,
      specName: draft.specName,
      ...(draft.timing === 'cron' ? { cron } : { every: draft.every.trim() }),
      overlap: draft.overlap,
      input,
      paused: draft.paused,
    },
  };
}
