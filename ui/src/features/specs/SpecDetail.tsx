import { useEffect, useState } from 'react';
import { Link, useNavigate, useParams } from 'react-router';
import { useDeleteSpec, useSaveSpec, useSpecYaml } from '../../api/spec-queries';
import { ProblemAlert } from '../../components/ProblemAlert';
import { SpecEditor, useSpecVerdict } from '../../components/SpecEditor';

const starter = `name: my-spec
description: What this spec does.
steps:
  - id: hello
    kind: tool
    tool: shell
    with:
      run: echo hello
`;

/** One saved spec, in the editor: checked as it is typed, saved, exported, started or deleted. */
export function SpecDetail() {
  const { name } = useParams();
  const saved = useSpecYaml(name);
  const [text, setText] = useState(name ? '' : starter);
  const [confirmDelete, setConfirmDelete] = useState(false);
  const save = useSaveSpec();
  const remove = useDeleteSpec();
  const navigate = useNavigate();
  const verdict = useSpecVerdict(text);

  useEffect(() => {
    if (saved.data !== undefined) setText(saved.data);
  }, [saved.data]);

  const dirty = name ? saved.data !== undefined && saved.data !== text : true;

  return (
    <section className="page spec-detail">
      <div className="page-head">
        <h1>{name ? <>Spec {name}</> : 'New spec'}</h1>
        <div className="actions">
          <Link className="button ghost" to="/specs">
            ← All specs
          </Link>
          {name && (
            <>
              <Link className="button" to={`/start?spec=${encodeURIComponent(name)}`}>
                Start a run
              </Link>
              <a className="button" href={`/api/specs/${encodeURIComponent(name)}/export`} download>
                Export YAML
              </a>
            </>
          )}
        </div>
      </div>
      <ProblemAlert error={saved.error} title={`The spec "${name ?? ''}" could not be loaded`} />
      <SpecEditor value={text} onChange={setText} label="Spec YAML" verdict={verdict} />
      <div className="actions spec-actions">
        <button
          type="button"
          className="button primary"
          disabled={!dirty || verdict.state !== 'valid' || save.isPending}
          onClick={() =>
            save.mutate(
              { ...(name && { name }), yaml: text },
              {
                onSuccess: (result) => {
                  if (!name) void navigate(`/specs/${encodeURIComponent(result.name)}`, { replace: true });
                },
              },
            )
          }
        >
          {save.isPending ? 'Saving…' : name ? 'Save changes' : 'Save spec'}
        </button>
        {name &&
          (confirmDelete ? (
            <>
              <button
                type="button"
                className="button danger"
                onClick={() => remove.mutate(name, { onSuccess: () => void navigate('/specs') })}
              >
                Delete {name}
              </button>
              <button type="button" className="button ghost" onClick={() => setConfirmDelete(false)}>
                Keep it
              </button>
            </>
          ) : (
            <button type="button" className="button danger" onClick={() => setConfirmDelete(true)}>
              Delete…
            </button>
          ))}
        {save.isSuccess && !dirty && (
          <span className="muted small" role="status">
            Saved.
          </span>
        )}
      </div>
      <ProblemAlert error={save.error} title="The spec was not saved" />
      <ProblemAlert error={remove.error} title="The spec was not deleted" />
    </section>
  );
}
