import { lazy, Suspense, useEffect, useMemo, useState } from 'react';
import { Link, useNavigate, useSearchParams } from 'react-router';
import { useSpecs, useSpecYaml, useStartRun } from '../../api/spec-queries';
import { ProblemAlert } from '../../components/ProblemAlert';
import { SpecEditor, useSpecVerdict } from '../../components/SpecEditor';
import { useDebounced } from '../../components/use-debounced';
import { GoalForm } from './GoalForm';
import { InputsForm } from './InputsForm';
import { initialValues, readInput, readJsonInput, type InputValues } from './run-input';
import { outlineSpec } from './spec-outline';
import './start-run.css';

const SpecPreview = lazy(() => import('./SpecPreview'));

type Mode = 'spec' | 'goal';

/** Start a run: from a saved, pasted or uploaded spec (checked as it is typed), or from a goal. */
export default function StartRunPage() {
  const [search, setSearch] = useSearchParams();
  const mode: Mode = search.get('mode') === 'goal' ? 'goal' : 'spec';
  const setMode = (next: Mode) => setSearch(next === 'goal' ? { mode: 'goal' } : {}, { replace: true });
  return (
    <section className="page start-page">
      <div className="page-head">
        <h1>Start a run</h1>
      </div>
      <div className="segmented" role="group" aria-label="Start from">
        <button
          type="button"
          className="button"
          aria-pressed={mode === 'spec'}
          onClick={() => setMode('spec')}
        >
          From a spec
        </button>
        <button
          type="button"
          className="button"
          aria-pressed={mode === 'goal'}
          onClick={() => setMode('goal')}
        >
          From a goal
        </button>
      </div>
      {mode === 'spec' ? <StartFromSpec initialSpec={search.get('spec') ?? ''} /> : <StartFromGoal />}
    </section>
  );
}

function StartFromGoal() {
  const start = useStartRun();
  const navigate = useNavigate();
  return (
    <>
      <GoalForm
        pending={start.isPending}
        onSubmit={(body) =>
          start.mutate(body, {
            onSuccess: ({ runId }) => void navigate(`/runs/${encodeURIComponent(runId)}`),
          })
        }
      />
      <ProblemAlert error={start.error} title="The run did not start" />
    </>
  );
}

function StartFromSpec({ initialSpec }: { initialSpec: string }) {
  const specs = useSpecs();
  const [picked, setPicked] = useState(initialSpec);
  const saved = useSpecYaml(picked || undefined);
  const [text, setText] = useState('');
  const [values, setValues] = useState<InputValues>({});
  const [json, setJson] = useState('');
  const [inputErrors, setInputErrors] = useState<Record<string, string>>({});
  const [fileError, setFileError] = useState<string>();
  const start = useStartRun();
  const navigate = useNavigate();

  useEffect(() => {
    if (saved.data !== undefined) setText(saved.data);
  }, [saved.data]);

  const verdict = useSpecVerdict(text);
  const settledText = useDebounced(text, 200);
  const outline = useMemo(() => outlineSpec(settledText), [settledText]);
  const fields = (verdict.state === 'valid' && verdict.inputs) || outline?.inputs || [];
  // Defaults fill in when the declared fields change, not on every keystroke.
  const fieldKey = fields.map((field) => `${field.name}:${field.type}`).join(',');
  const [filledFor, setFilledFor] = useState('');
  if (filledFor !== fieldKey) {
    setFilledFor(fieldKey);
    setValues((current) => ({ ...initialValues(fields), ...current }));
  }

  const onFile = async (file: File | undefined) => {
    setFileError(undefined);
    if (!file) return;
    if (file.size > 1_000_000)
      return setFileError(`${file.name} is larger than 1 MB, the most the API accepts`);
    setPicked('');
    setText(await file.text());
  };

  const submit = (event: React.FormEvent) => {
    event.preventDefault();
    const result = fields.length > 0 ? readInput(fields, values) : readJsonInput(json);
    if (!result.ok) return setInputErrors(result.errors);
    setInputErrors({});
    start.mutate(
      { spec: text, input: result.input },
      { onSuccess: ({ runId }) => void navigate(`/runs/${encodeURIComponent(runId)}`) },
    );
  };

  return (
    <form className="start-grid" onSubmit={submit} aria-label="Start from a spec">
      <div className="start-source">
        <div className="source-pickers">
          <label>
            Saved spec
            <select value={picked} onChange={(event) => setPicked(event.target.value)}>
              <option value="">— paste or upload below —</option>
              {specs.data?.specs.map((spec) => (
                <option key={spec.name} value={spec.name}>
                  {spec.name}
                  {spec.description ? ` — ${spec.description}` : ''}
                </option>
              ))}
            </select>
          </label>
          <label>
            Upload a YAML file
            <input
              type="file"
              accept=".yaml,.yml,application/yaml,text/yaml"
              onChange={(event) => void onFile(event.target.files?.[0])}
            />
          </label>
        </div>
        {specs.isSuccess && specs.data.specs.length === 0 && (
          <p className="muted small">
            No saved specs yet: paste one below (try <code>examples/hello.yaml</code>), or save one on the{' '}
            <Link to="/specs">Specs</Link> page.
          </p>
        )}
        {fileError && (
          <p className="field-error" role="alert">
            {fileError}
          </p>
        )}
        <ProblemAlert error={specs.error} title="The saved specs could not be listed" />
        <ProblemAlert error={saved.error} title={`The spec "${picked}" could not be loaded`} />
        <SpecEditor value={text} onChange={setText} label="Spec YAML" verdict={verdict} />
      </div>
      <div className="start-side">
        <h2>Graph</h2>
        {outline && outline.steps.length > 0 ? (
          <Suspense fallback={<p className="muted">Drawing the graph…</p>}>
            <SpecPreview steps={outline.steps} />
          </Suspense>
        ) : (
          <p className="muted preview-empty">The graph appears here once the spec has steps.</p>
        )}
        <InputsForm
          fields={fields}
          values={values}
          onChange={setValues}
          json={json}
          onJsonChange={setJson}
          errors={inputErrors}
        />
        <div className="actions">
          <button
            type="submit"
            className="button primary"
            disabled={verdict.state !== 'valid' || start.isPending}
          >
            {start.isPending ? 'Starting…' : 'Start run'}
          </button>
          {verdict.state === 'invalid' && <span className="muted small">Fix the problems to start.</span>}
        </div>
        <ProblemAlert error={start.error} title="The run did not start" />
      </div>
    </form>
  );
}
