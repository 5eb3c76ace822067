import type { RunForecastResponse } from '../../api/page-types';
import { formatDuration, formatUsd } from '../../components/format';

type Forecast = NonNullable<RunForecastResponse['prediction']>;

const confidenceWords: Record<Forecast['confidence'], string> = {
  low: 'low confidence: under 5 records behind a step',
  medium: 'medium confidence: under 20 records behind a step',
  high: 'high confidence',
};

/**
 * What the outcome records predict for the run: its chance of success, cost and duration, how sure
 * that is, and, under 50%, the step most likely to fail (a button that opens it). Made again as the run
 * goes, it counts the steps that have ended as they ended.
 */
export function RunForecastFacts({
  forecast,
  onSelectStep,
}: {
  forecast: Forecast | undefined;
  onSelectStep: (stepId: string) => void;
}) {
  if (!forecast) return null;
  const percent = Math.round(forecast.success * 100);
  const risky = forecast.success < 0.5;
  return (
    <section
      className={`forecast${risky ? ' risky' : ''}`}
      aria-label="Forecast"
      data-testid="run-forecast"
      data-success={forecast.success}
      data-confidence={forecast.confidence}
    >
      <p>
        <strong>Forecast:</strong> <span aria-hidden="true">{risky ? '⚠ ' : ''}</span>
        {percent}% chance of success · about {formatUsd(forecast.costUsd)} · about{' '}
        {formatDuration(forecast.durationMs)}{' '}
        <span className="muted small">
          ({confidenceWords[forecast.confidence]}; {forecast.records} records
          {forecast.progress && `; as of ${forecast.progress.stepsEnded} ended steps`})
        </span>
      </p>
      {risky && forecast.riskStep && (
        <p data-testid="risk-step">
          Under 50%: the step most likely to fail is{' '}
          <button type="button" className="button small" onClick={() => onSelectStep(forecast.riskStep!)}>
            {forecast.riskStep}
          </button>
        </p>
      )}
      <details className="small">
        <summary>How this was reached</summary>
        <p>{forecast.explanation}</p>
      </details>
    </section>
  );
}
