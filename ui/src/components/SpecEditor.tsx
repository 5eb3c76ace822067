import { lazy, Suspense, useMemo } from 'react';
import { ApiError } from '../api/client';
import { useValidateSpec } from '../api/spec-queries';
import { ProblemAlert } from './ProblemAlert';
import { useDebounced } from './use-debounced';
import { placeProblems, type PlacedProblem } from './yaml-problems';
import './spec-editor.css';

/** A declared input as validate lists it (the engine adds `inputs` to its answer). */
export type InputField = {
  name: string;
  type: string;
  required: boolean;
  default?: unknown;
  description?: string;
};

const YamlEditor = lazy(() => import('./YamlEditor'));

export type SpecVerdict =
  | { state: 'empty' }
  | { state: 'checking' }
  | { state: 'valid'; name: string; inputs?: InputField[] }
  | { state: 'invalid'; problems: PlacedProblem[] };

/** The API's verdict on a spec text as the user types: the spec's name, or its problems by line. */
export function useSpecVerdict(text: string): SpecVerdict & { error?: unknown } {
  const settled = useDebounced(text, 350);
  const validation = useValidateSpec(settled);
  const error = validation.error;
  return useMemo(() => {
    if (!settled.trim()) return { state: 'empty' };
    if (validation.isFetching || settled !== text) return { state: 'checking' };
    if (validation.data && !validation.isPlaceholderData) {
      const { inputs } = validation.data as { inputs?: InputField[] };
      return { state: 'valid', name: validation.data.name, ...(inputs && { inputs }) };
    }
    if (error instanceof ApiError && error.status === 400) {
      const fields = error.errors.length > 0 ? error.errors : [{ path: '', message: error.message }];
      return { state: 'invalid', problems: placeProblems(settled, fields) };
    }
    return { state: 'checking', ...(error ? { error } : {}) };
  }, [settled, text, validation.isFetching, validation.data, validation.isPlaceholderData, error]);
}

type Props = {
  value: string;
  onChange?: (value: string) => void;
  label: string;
  verdict: SpecVerdict & { error?: unknown };
  readOnly?: boolean;
};

/**
 * The YAML editor with the API's verdict: problems marked at their lines in the editor and listed
 * below it (line, path, message), or the spec's name once it is valid.
 */
export function SpecEditor({ value, onChange, label, verdict, readOnly }: Props) {
  const problems = verdict.state === 'invalid' ? verdict.problems : [];
  return (
    <div className="spec-editor" data-verdict={verdict.state}>
      <Suspense
        fallback={<textarea aria-label={label} value={value} readOnly rows={16} className="yaml-fallback" />}
      >
        <YamlEditor
          value={value}
          label={label}
          problems={problems}
          {...(onChange && { onChange })}
          {...(readOnly !== undefined && { readOnly })}
        />
      </Suspense>
      <SpecVerdictLine verdict={verdict} />
      <ProblemAlert error={verdict.error} title="The spec could not be checked" />
    </div>
  );
}

function SpecVerdictLine({ verdict }: { verdict: SpecVerdict }) {
  if (verdict.state === 'empty') return <p className="muted small">Type or paste a spec to check it.</p>;
  if (verdict.state === 'checking')
    return (
      <p className="muted small" role="status">
        Checking…
      </p>
    );
  if (verdict.state === 'valid')
    return (
      <p className="verdict-ok small" role="status" data-testid="spec-valid">
        <span aria-hidden="true">✓</span> Valid spec <code>{verdict.name}</code>
      </p>
    );
  return (
    <div className="spec-problems" role="alert" data-testid="spec-problems">
      <strong>
        <span aria-hidden="true">✕</span> {verdict.problems.length} problem
        {verdict.problems.length === 1 ? '' : 's'}
      </strong>
      <ul>
        {verdict.problems.map((problem, index) => (
          <li key={`${index}:${problem.path}`} data-line={problem.line} data-path={problem.path}>
            <span className="line-ref">Line {problem.line}</span>
            {problem.path && <code>{problem.path}</code>} {problem.message}
          </li>
        ))}
      </ul>
    </div>
  );
}
