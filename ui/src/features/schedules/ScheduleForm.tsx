import { useState } from 'react';
import type { CreateSchedule } from '../../api/page-types';
import { describeCron } from '../../components/CronText';
import { emptyDraft, overlapPolicies, scheduleRequest, type ScheduleDraft } from './schedule-form';

type Props = {
  specNames: string[];
  pending?: boolean;
  onSubmit: (body: CreateSchedule) => void;
};

/** A new schedule: which saved spec, when (cron in words, or an interval), and what overlap does. */
export function ScheduleForm({ specNames, pending = false, onSubmit }: Props) {
  const [draft, setDraft] = useState<ScheduleDraft>(emptyDraft);
  const [errors, setErrors] = useState<Partial<Record<keyof ScheduleDraft, string>>>({});
  const set = <K extends keyof ScheduleDraft>(key: K, value: ScheduleDraft[K]) =>
    setDraft((current) => ({ ...current, [key]: value }));
  const cronLines = draft.cron
    .split('\n')
    .map((line) => line.trim())
    .filter(Boolean);
  const error = (key: keyof ScheduleDraft) =>
    errors[key] && (
      <p className="field-error" id={`schedule-${key}-error`}>
        {errors[key]}
      </p>
    );
  const invalid = (key: keyof ScheduleDraft) => ({
    'aria-invalid': Boolean(errors[key]),
    ...(errors[key] && { 'aria-describedby': `schedule-${key}-error` }),
  });

  return (
    <form
      className="schedule-form"
      aria-label="New schedule"
      data-testid="schedule-form"
      onSubmit={(event) => {
        event.preventDefault();
        const request = scheduleRequest(draft);
        if (!request.ok) return setErrors(request.errors);
        setErrors({});
        onSubmit(request.body);
      }}
    >
      <div className="form-row">
        <label>
          Id
          <input
            value={draft.id}
            onChange={(event) => set('id', event.target.value)}
            placeholder="nightly-tests"
            {...invalid('id')}
          />
        </label>
        {error('id')}
        <label>
          Spec
          <select
            value={draft.specName}
            onChange={(event) => set('specName', event.target.value)}
            {...invalid('specName')}
          >
            <option value="">— pick a saved spec —</option>
            {specNames.map((name) => (
              <option key={name} value={name}>
                {name}
              </option>
            ))}
          </select>
        </label>
        {error('specName')}
      </div>
      <fieldset className="timing">
        <legend>When</legend>
        <label className="check">
          <input
            type="radio"
            name="timing"
            checked={draft.timing === 'cron'}
            onChange={() => set('timing', 'cron')}
          />
          On a cron schedule
        </label>
        <label className="check">
          <input
            type="radio"
            name="timing"
            checked={draft.timing === 'every'}
            onChange={() => set('timing', 'every')}
          />
          Every interval
        </label>
        {draft.timing === 'cron' ? (
          <>
            <label>
              Cron expressions (one a line, UTC)
              <textarea
                rows={2}
                value={draft.cron}
                onChange={(event) => set('cron', event.target.value)}
                {...invalid('cron')}
              />
            </label>
            <span className="cron-words" data-testid="cron-words" aria-live="polite">
              {cronLines.map((line) => {
                const words = describeCron(line);
                return <span key={line}>{words.ok ? words.text : `“${line}” is not a cron expression`}</span>;
              })}
            </span>
            {error('cron')}
          </>
        ) : (
          <>
            <label>
              Interval
              <input
                value={draft.every}
                onChange={(event) => set('every', event.target.value)}
                placeholder="15m"
                {...invalid('every')}
              />
            </label>
            {error('every')}
          </>
        )}
      </fieldset>
      <div className="form-row">
        <label>
          When the previous run is still going
          <select
            value={draft.overlap}
            onChange={(event) => set('overlap', event.target.value as ScheduleDraft['overlap'])}
          >
            {overlapPolicies.map((policy) => (
              <option key={policy.value} value={policy.value}>
                {policy.label}
              </option>
            ))}
          </select>
        </label>
        <label>
          Input (JSON object, optional)
          <input
            value={draft.input}
            onChange={(event) => set('input', event.target.value)}
            placeholder='{"name": "world"}'
            {...invalid('input')}
          />
        </label>
        {error('input')}
      </div>
      <label className="check">
        <input
          type="checkbox"
          checked={draft.paused}
          onChange={(event) => set('paused', event.target.checked)}
        />
        Create it paused
      </label>
      <button type="submit" className="button primary" disabled={pending}>
        {pending ? 'Creating…' : 'Create schedule'}
      </button>
    </form>
  );
}
