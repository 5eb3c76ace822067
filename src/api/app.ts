import type { Client } from '@temporalio/client';
import { join } from 'node:path';
import express from 'express';
import { rateLimit, ipKeyGenerator } from 'express-rate-limit';
import helmet from 'helmet';
import swaggerUi from 'swagger-ui-dist';
import { DiskBlobStore } from '../activities/blob-store';
import type { Config } from '../config';
import type { AgentRegistry } from '../agents/registry';
import { agentsQueue, toolsQueue } from '../engine/task-queues';
import type { ModelRuntime } from '../models/model-runtime';
import { agentsRoutes } from './agents-routes';
import { analyticsRoutes } from './analytics-routes';
import { ApiConfig, isLoopback, AuthMode } from './api-config';
import { ApiKeyStore, hashKey } from './api-keys';
import { bearerToken, createAuthorizer, type Authorizer } from './auth';
import { healthRoutes } from './health-routes';
import { HttpError, notFound, problemHandler } from './http-error';
import { keysRoutes } from './keys-routes';
import { createMetrics, type ApiMetrics } from './metrics';
import { modelsRoutes } from './models-routes';
import { openApiDocument } from './openapi';
import { runsRoutes } from './runs-routes';
import { schedulesRoutes } from './schedules-routes';
import { SpecStore } from './spec-store';
import { specsRoutes } from './specs-routes';

export type AppOptions = {
  client: Client;
  config: Config;
  /** The model runtime; without one, /api/models is not served and /readyz skips the providers. */
  models?: ModelRuntime;
  /** The agent registry; with one, /api/agents is served and runs naming unknown agents are refused. */
  agents?: AgentRegistry;
  /** The API's own settings; default: read from an empty environment (loopback, no keys). */
  api?: ApiConfig;
  auth?: Authorizer;
  metrics?: ApiMetrics;
};

/** Whether this API must check keys: always off loopback, or when TROUPE_AUTH=required. */
export function authRequired(config: Config, api: ApiConfig): boolean {
  return api.TROUPE_AUTH === AuthMode.Required || !isLoopback(config.HOST);
}

/** The HTTP API: thin over Temporal, which holds every run's truth. */
export function createApp(options: AppOptions): express.Express {
  const { client, config, models, agents } = options;
  const api = options.api ?? ApiConfig.parse({});
  const auth =
    options.auth ?? createAuthorizer(new ApiKeyStore(config.TROUPE_DATA_DIR), authRequired(config, api));
  const metrics = options.metrics ?? createMetrics({ client, config });
  const specs = new SpecStore(config.TROUPE_DATA_DIR);
  const { read, run, admin } = { read: auth.need('read'), run: auth.need('run'), admin: auth.need('admin') };
  /** GETs need `read`; other methods need `scope`, except POSTs that only look (spec validation). */
  const writes =
    (scope: express.RequestHandler, readOnlyPaths: string[] = []): express.RequestHandler =>
    (req, res, next) =>
      req.method === 'GET' || req.method === 'HEAD' || readOnlyPaths.includes(req.path)
        ? read(req, res, next)
        : scope(req, res, next);

  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', false);
  app.use(metrics.timeRequests);
  app.use(
    helmet({
      contentSecurityPolicy: {
        directives: { 'script-src': ["'self'"], 'style-src': ["'self'", "'unsafe-inline'"] },
      },
    }),
  );
  app.use(cors(api.TROUPE_UI_ORIGIN));
  app.use(
    rateLimit({
      windowMs: 60_000,
      limit: api.TROUPE_RATE_LIMIT,
      standardHeaders: 'draft-8',
      legacyHeaders: false,
      keyGenerator: (req) => {
        const token = bearerToken(req.headers.authorization);
        return token ? `key:${hashKey(token)}` : ipKeyGenerator(req.ip ?? '');
      },
      handler: () => {
        throw new HttpError(429, {
          message: `more than ${api.TROUPE_RATE_LIMIT} requests a minute; slow down and retry`,
        });
      },
    }),
  );
  app.use(express.json({ limit: '2mb' }));

  app.use(healthRoutes({ client, config, models }));
  app.get('/metrics', read, async (_req, res) => {
    res.type(metrics.registry.contentType).send(await metrics.registry.metrics());
  });

  const document = openApiDocument();
  app.get('/api/openapi.json', (_req, res) => {
    res.json(document);
  });
  const swaggerDir = swaggerUi.getAbsoluteFSPath();
  app.get('/api/docs', (_req, res) => {
    res.type('html').send(docsPage);
  });
  app.get('/api/docs/init.js', (_req, res) => {
    res.type('application/javascript').send(docsInit);
  });
  app.use('/api/docs', express.static(swaggerDir, { index: false }));

  app.use(
    '/api/runs',
    writes(run),
    runsRoutes({ client, config, specs, listCacheMs: api.TROUPE_LIST_CACHE_MS, ...(agents && { agents }) }),
  );
  app.use('/api/specs', writes(run, ['/validate']), specsRoutes({ store: specs }));
  app.use('/api/schedules', writes(admin), schedulesRoutes({ client, config, specs }));
  app.use('/api/analytics', read, analyticsRoutes({ client, config }));
  app.use('/api/keys', admin, keysRoutes({ keys: auth.keys }));
  if (models) app.use('/api/models', read, modelsRoutes({ runtime: models }));
  if (agents) {
    const { TROUPE_TASK_QUEUE: queue, TROUPE_DATA_DIR: dataDir } = config;
    const taskQueues = [agentsQueue(queue), toolsQueue(queue)];
    app.use('/api/agents', read, agentsRoutes({ client, registry: agents, dataDir, taskQueues }));
  }

  const blobs = new DiskBlobStore(join(config.TROUPE_DATA_DIR, 'blobs'));
  app.get('/api/blobs/:id', read, async (req, res) => {
    const id = String(req.params.id);
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

/** CORS for the UI's origin only; any other origin gets no CORS headers, so browsers refuse it. */
function cors(origin: string | undefined): express.RequestHandler {
  return (req, res, next) => {
    if (!origin || req.headers.origin !== origin) return next();
    res.setHeader('Access-Control-Allow-Origin', origin);
    res.setHeader('Vary', 'Origin');
    if (req.method !== 'OPTIONS') return next();
    res.setHeader('Access-Control-Allow-Methods', 'GET, POST, PUT, DELETE');
    res.setHeader('Access-Control-Allow-Headers', 'Authorization, Content-Type');
    res.setHeader('Access-Control-Max-Age', '600');
    res.status(204).end();
  };
}

const docsPage = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Troupe API</title>
<link rel="stylesheet" href="/api/docs/swagger-ui.css"></head>
<body><div id="swagger-ui"></div>
<script src="/api/docs/swagger-ui-bundle.js"></script>
<script src="/api/docs/init.js"></script></body></html>`;
const docsInit = `window.ui = SwaggerUIBundle({ url: '/api/openapi.json', dom_id: '#swagger-ui', persistAuthorization: true });`;
