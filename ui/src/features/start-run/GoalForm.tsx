import { useState } from 'react';
import type { StartRunBody } from '../../api/page-types';

type Props = { pending: boolean; onSubmit: (body: StartRunBody) => void };

/** A goal in words: the planner agent turns it into steps, within the budget given. */
export function GoalForm({ pending, onSubmit }: Props) {
  const [goal, setGoal] = useState('');
  const [repo, setRepo] = useState('');
  const [budget, setBudget] = useState('');
  const [error, setError] = useState<string>();
  return (
    <form
      className="goal-form"
      aria-label="Start from a goal"
      onSubmit={(event) => {
        event.preventDefault();
        const usd = budget.trim() ? Number(budget) : undefined;
        if (!goal.trim()) return setError('Say what the run should achieve.');
        if (usd !== undefined && (!Number.isFinite(usd) || usd < 0))
          return setError('The budget is a number of US dollars, 0 or more.');
        setError(undefined);
        onSubmit({
          goal: goal.trim(),
          ...(repo.trim() && { repo: repo.trim() }),
          ...(usd !== undefined && { budget: { usd } }),
        });
      }}
    >
      <label>
        Goal
        <textarea
          rows={4}
          value={goal}
          maxLength={2000}
          placeholder="Add a --verbose flag to the CLI and test it"
          onChange={(event) => setGoal(event.target.value)}
          aria-invalid={Boolean(error)}
        />
      </label>
      <div className="row">
        <label>
          Repository (optional)
          <input value={repo} onChange={(event) => setRepo(event.target.value)} placeholder="/path/to/repo" />
        </label>
        <label>
          Budget in USD (optional)
          <input
            type="number"
            min={0}
            step="any"
            value={budget}
            onChange={(event) => setBudget(event.target.value)}
          />
        </label>
      </div>
      {error && (
        <p className="field-error" role="alert">
          {error}
        </p>
      )}
      <p className="muted small">
        The planner agent writes the steps; the run page shows them as the plan joins the run.
      </p>
      <button type="submit" className="button primary" disabled={pending}>
        {pending ? 'Starting…' : 'Plan and start'}
      </button>
    </form>
  );
}
