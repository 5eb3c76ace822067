import type { Spec } from '../engine/spec';
import type { OutcomeStore } from '../learning/outcome-store';
import { forecastRun, predictorFrom, type RunForecast, type RunProgress } from '../learning/run-forecast';
import type { SuccessPredictor } from '../learning/success-predictor';

/**
 * Forecasts for POST /api/runs and GET /api/runs/:runId/forecast, from a predictor rebuilt from the outcome store at most every
 * `maxAgeMs` (so a start never waits on reading every record). A store that cannot be read gives no
 * forecast: it never fails a start.
 */
export function runForecasts(store: OutcomeStore, { maxAgeMs = 5_000 } = {}) {
  let built: Promise<{ predictor: SuccessPredictor; records: number; at: number }> | undefined;
  const fresh = () => {
    const at = Date.now();
    return store
      .list()
      .then((records) => ({ predictor: predictorFrom(records), records: records.length, at }));
  };
  return async (spec: Spec, progress?: RunProgress): Promise<RunForecast | undefined> => {
    const current = await built?.catch(() => undefined);
    if (!built || !current || Date.now() - current.at > maxAgeMs) built = fresh();
    const model = await built.catch(() => undefined);
    return model && forecastRun(model.predictor, model.records, spec, progress);
  };
}
