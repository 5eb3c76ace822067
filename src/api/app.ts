import type { Client } from '@temporalio/client';
import { join } from 'node:path';
import express from 'express';
import { DiskBlobStore } from '../activities/blob-store';
import type { Config } from '../config';
import { HttpError, notFound, problemHandler } from './http-error';
import { withTimeout } from './with-timeout';
import type { ModelRuntime } from '../models/model-runtime';
import { modelsRoutes } from './models-routes';
import { runsRoutes } from './runs-routes';

const HEALTH_TIMEOUT_MS = 3_000;

/** The HTTP API: thin over Temporal, which holds every run's truth. */
export function createApp({
  client,
  config,
  models,
}: {
  client: Client;
  config: Config;
  /** The model runtime; without one, /api/models is not served. */
  models?: ModelRuntime;
}): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.use(express.json({ limit: '2mb' }));

  app.get('/healthz', async (_req, res) => {
    try {
      await withTimeout(
        client.workflowService.describeNamespace({ namespace: config.TEMPORAL_NAMESPACE }),
        HEALTH_TIMEOUT_MS,
      );
    } catch (err) {
      throw new HttpError(503, {
        message: `Temporal is not reachable (namespace "${config.TEMPORAL_NAMESPACE}"): ${(err as Error).message}`,
        cause: err,
      });
    }
    res.json({ status: 'ok', temporal: 'ok', namespace: config.TEMPORAL_NAMESPACE });
  });

  app.use('/api/runs', runsRoutes({ client, config }));
  if (models) app.use('/api/models', modelsRoutes({ runtime: models }));

  const blobs = new DiskBlobStore(join(config.TROUPE_DATA_DIR, 'blobs'));
  app.get('/api/blobs/:id', async (req, res) => {
    const id = req.params.id;
    if (!/^sha256:[0-9a-f]{64}$/.test(id)) throw new HttpError(404, { message: `"${id}" is not a blob id` });
    const content = await blobs.get(id).catch(() => {
      throw new HttpError(404, { message: `no blob ${id} in ${config.TROUPE_DATA_DIR}/blobs` });
    });
    res.type('text/plain').send(content);
  });
  app.use(notFound);
  app.use(problemHandler);
  return app;
}
