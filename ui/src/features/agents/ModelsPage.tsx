import { useModels } from '../../api/insight-queries';
import type { ModelView } from '../../api/page-types';
import { EmptyState } from '../../components/EmptyState';
import { ProblemAlert } from '../../components/ProblemAlert';
import '../../components/tables.css';

const healthLook: Record<string, { icon: string; className: string }> = {
  up: { icon: '✓', className: 'status-completed' },
  down: { icon: '✕', className: 'status-failed' },
  unconfigured: { icon: '○', className: 'status-skipped' },
  unknown: { icon: '?', className: 'status-pending' },
};
const breakerLook: Record<string, { icon: string; className: string; word: string }> = {
  closed: { icon: '✓', className: 'status-completed', word: 'closed (calls pass)' },
  'half-open': { icon: '◐', className: 'status-waiting', word: 'half-open (trying)' },
  open: { icon: '✕', className: 'status-failed', word: 'open (skipped)' },
};

function price(model: ModelView): string {
  if (model.local) return 'free (local compute)';
  if (!model.pricing) return '—';
  return `$${model.pricing.inputPerMillion} in / $${model.pricing.outputPerMillion} out per M tokens`;
}

/** The catalogue's models with their provider's health and their circuit breaker. */
export default function ModelsPage() {
  const models = useModels();
  const list = models.data?.models ?? [];
  return (
    <section className="page models-page">
      <div className="page-head">
        <h1>Models</h1>
        <p className="muted small">
          {list.filter((model) => model.local).length} local, {list.filter((model) => !model.local).length}{' '}
          cloud
        </p>
      </div>
      <ProblemAlert error={models.error} title="The models could not be listed" />
      {models.isSuccess && list.length === 0 ? (
        <EmptyState title="No models in the catalogue">
          <p>
            Add models to <code>models.yaml</code> (see docs/models.md), then restart the API.
          </p>
        </EmptyState>
      ) : (
        <div className="table-scroll">
          <table className="data-table" aria-label="Models">
            <thead>
              <tr>
                <th scope="col">Model</th>
                <th scope="col">Where</th>
                <th scope="col">Health</th>
                <th scope="col">Breaker</th>
                <th scope="col">Price</th>
                <th scope="col" className="num">
                  Context
                </th>
              </tr>
            </thead>
            <tbody>
              {list.map((model) => {
                const health = healthLook[model.health] ?? healthLook.unknown!;
                const breaker = breakerLook[model.breaker] ?? {
                  icon: '?',
                  className: '',
                  word: model.breaker,
                };
                return (
                  <tr
                    key={model.id}
                    data-model-id={model.id}
                    data-health={model.health}
                    data-breaker={model.breaker}
                    data-local={model.local}
                  >
                    <td>
                      <strong>{model.id}</strong>
                      <div className="muted small">
                        {model.provider} · {model.kind}
                        {model.capabilities.length > 0 && ` · ${model.capabilities.join(', ')}`}
                      </div>
                    </td>
                    <td>{model.local ? 'local' : 'cloud'}</td>
                    <td>
                      <span className={`status ${health.className}`}>
                        <span aria-hidden="true">{health.icon}</span> {model.health}
                      </span>
                      {model.installed === false && <div className="muted small">not pulled</div>}
                      {model.healthError && <div className="muted small">{model.healthError}</div>}
                    </td>
                    <td>
                      <span className={`status ${breaker.className}`}>
                        <span aria-hidden="true">{breaker.icon}</span> {breaker.word}
                      </span>
                    </td>
                    <td>{price(model)}</td>
                    <td className="num">{model.contextTokens.toLocaleString('en')}</td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
