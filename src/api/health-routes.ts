import type { Client } from '@temporalio/client';
import { Router } from 'express';
import type { Config } from '../config';
import type { ModelRuntime } from '../models/model-runtime';
import { restartCounts } from '../supervisor/supervisor-status';
import { HttpError } from './http-error';
import { withTimeout } from './with-timeout';

const HEALTH_TIMEOUT_MS = 3_000;

/**
 * /healthz says the process and Temporal are up; /readyz also asks whether runs can make progress.
 * Both carry `restarts`: how often `npm start`'s supervisor restarted each part (empty without it).
 */
export function healthRoutes({
  client,
  config,
  models,
}: {
  client: Client;
  config: Config;
  models?: ModelRuntime;
}): Router {
  const router = Router();
  const temporal = () =>
    withTimeout(
      client.workflowService.describeNamespace({ namespace: config.TEMPORAL_NAMESPACE }),
      HEALTH_TIMEOUT_MS,
    );

  router.get('/healthz', async (_req, res) => {
    try {
      await temporal();
    } catch (err) {
      throw new HttpError(503, {
        message: `Temporal is not reachable (namespace "${config.TEMPORAL_NAMESPACE}"): ${(err as Error).message}`,
        cause: err,
      });
    }
    res.json({
      status: 'ok',
      temporal: 'ok',
      namespace: config.TEMPORAL_NAMESPACE,
      restarts: await restartCounts(config.TROUPE_DATA_DIR),
    });
  });

  router.get('/readyz', async (_req, res) => {
    const checks: Record<string, { ok: boolean; detail?: string }> = {};
    await Promise.all([
      temporal().then(
        () => (checks.temporal = { ok: true }),
        (err: Error) => (checks.temporal = { ok: false, detail: err.message }),
      ),
      models
        ? withTimeout(models.health.check(), HEALTH_TIMEOUT_MS).then(
            (reports) => {
              for (const report of reports) {
                checks[`provider:${report.provider}`] = {
                  ok: report.status === 'up',
                  ...(report.status !== 'up' && { detail: report.error ?? report.status }),
                };
              }
            },
            (err: Error) => (checks.providers = { ok: false, detail: err.message }),
          )
        : Promise.resolve(),
    ]);
    const providerChecks = Object.entries(checks).filter(([name]) => name.startsWith('provider'));
    // Ready when Temporal answers and, if there are providers, at least one can take calls.
    const ready =
      checks.temporal?.ok === true &&
      (providerChecks.length === 0 || providerChecks.some(([, check]) => check.ok));
    res.status(ready ? 200 : 503).json({
      status: ready ? 'ready' : 'not-ready',
      checks,
      restarts: await restartCounts(config.TROUPE_DATA_DIR),
    });
  });

  return router;
}
