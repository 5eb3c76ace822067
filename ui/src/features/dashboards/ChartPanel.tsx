import { ResponsiveContainer } from 'recharts';

export const axis = { stroke: 'var(--muted)', fontSize: 12 };
export const tooltip = {
  contentStyle: { background: 'var(--surface)', border: '1px solid var(--border)', color: 'var(--text)' },
};

type PanelProps = {
  title: string;
  summary: string;
  /** Said over the chart when the period has nothing for it, so an empty grid is not a puzzle. */
  empty?: string | false | undefined;
  children: React.ReactNode;
};

/** A chart with its title and summary, and words over it when the period has nothing to show. */
export function Panel({ title, summary, empty, children }: PanelProps) {
  const id = title.toLowerCase().replace(/[^a-z0-9]+/g, '-');
  return (
    <figure className="chart-panel" aria-labelledby={id} data-chart={id} data-empty={Boolean(empty)}>
      <figcaption id={id}>
        <strong>{title}</strong>
        <span className="muted small">{summary}</span>
      </figcaption>
      <div className="chart-box">
        <ResponsiveContainer width="100%" height="100%">
          {children as React.ReactElement}
        </ResponsiveContainer>
        {empty && (
          <p className="chart-empty" data-testid="chart-empty">
            {empty}
          </p>
        )}
      </div>
    </figure>
  );
}
