import { useState } from 'react';
import { Link } from 'react-router';
import { useImportSpec, useSpecs } from '../../api/spec-queries';
import { EmptyState } from '../../components/EmptyState';
import { formatTime } from '../../components/format';
import { ProblemAlert } from '../../components/ProblemAlert';

/** Every saved spec, with import from a YAML file (creates or replaces it, comments kept). */
export function SpecLibrary() {
  const specs = useSpecs();
  const importSpec = useImportSpec();
  const [tooBig, setTooBig] = useState<string>();
  const list = specs.data?.specs ?? [];

  const onFile = async (file: File | undefined) => {
    setTooBig(undefined);
    if (!file) return;
    if (file.size > 1_000_000) return setTooBig(`${file.name} is larger than 1 MB, the most the API imports`);
    importSpec.mutate(await file.text());
  };

  return (
    <section className="page specs-page">
      <div className="page-head">
        <h1>Specs</h1>
        <div className="actions">
          <label className="button file-button">
            Import YAML…
            <input
              type="file"
              className="visually-hidden"
              accept=".yaml,.yml,application/yaml,text/yaml"
              onChange={(event) => void onFile(event.target.files?.[0])}
            />
          </label>
          <Link className="button primary" to="/specs/new">
            New spec
          </Link>
        </div>
      </div>
      {importSpec.isSuccess && (
        <p className="notice" role="status">
          Imported{' '}
          <Link to={`/specs/${encodeURIComponent(importSpec.data.name)}`}>{importSpec.data.name}</Link>.
        </p>
      )}
      {tooBig && (
        <p className="field-error" role="alert">
          {tooBig}
        </p>
      )}
      <ProblemAlert error={importSpec.error} title="The import failed" />
      <ProblemAlert error={specs.error} title="The specs could not be listed" />
      {specs.isPending && (
        <p className="muted" role="status">
          Loading specs…
        </p>
      )}
      {specs.isSuccess && list.length === 0 ? (
        <EmptyState title="No saved specs yet">
          <p>
            Import <code>examples/hello.yaml</code> with “Import YAML…”, or write one with “New spec”. Runs
            and schedules start from saved specs by name.
          </p>
        </EmptyState>
      ) : (
        <table className="data-table" aria-label="Saved specs">
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Description</th>
              <th scope="col">Updated</th>
              <th scope="col">Actions</th>
            </tr>
          </thead>
          <tbody>
            {list.map((spec) => (
              <tr key={spec.name} data-spec-name={spec.name}>
                <td>
                  <Link to={`/specs/${encodeURIComponent(spec.name)}`}>{spec.name}</Link>
                </td>
                <td>{spec.description ?? <span className="muted">—</span>}</td>
                <td>
                  <time dateTime={spec.updatedAt}>{formatTime(spec.updatedAt)}</time>
                </td>
                <td className="actions">
                  <Link className="button small" to={`/start?spec=${encodeURIComponent(spec.name)}`}>
                    Start
                  </Link>
                  <a
                    className="button small"
                    href={`/api/specs/${encodeURIComponent(spec.name)}/export`}
                    download
                  >
                    Export
                  </a>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
