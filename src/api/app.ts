import type { Client } from '@temporalio/client';
import express from 'express';
import { rateLimit, ipKeyGenerator } from 'express-rate-limit';
import helmet from 'helmet';
import swaggerUi from 'swagger-ui-dist';
import { blobStoreFor } from '../activities/blob-store';
import { temporalUiUrl, type Config } from '../config';
import type { AgentRegistry } from '../agents/registry';
import { agentsQueue, toolsQueue } from '../engine/task-queues';
import type { ModelRuntime } from '../models/model-runtime';
import { agentsRoutes } from './agents-routes';
import { chatRoutes } from './chat-routes';
import { approvalsRoutes } from './approvals-routes';
import { analyticsRoutes } from './analytics-routes';
import { ApiConfig, AuthMode } from './api-config';
import { ApiKeyStore } from './api-keys';
import { createAuthorizer, presentedCredential, type Authorizer } from './auth';
import { codecRoutes } from './codec-routes';
import { evaluationsRoutes, outcomeStoreFor } from './evaluations-routes';
import { runForecasts } from './run-forecasts';
import { healthRoutes } from './health-routes';
import { HttpError, notFound, problemHandler } from './http-error';
import { keysRoutes } from './keys-routes';
import { LOGIN_PARAM, redeemLoginToken, SESSION_COOKIE } from './login-links';
import { createMetrics, type ApiMetrics } from './metrics';
import { modelsRoutes } from './models-routes';
import { performanceRoutes } from './performance-analytics';
import { openApiDocument } from './openapi';
import { refuseUnsafeBody } from './request-parsing';
import { temporalDeadlines } from './temporal-connection';
import { allowedHostNames, requestGuards } from './request-guards';
import { runsRoutes } from './runs-routes';
import { schedulesRoutes } from './schedules-routes';
import { SpecStore } from './spec-store';
import { specsRoutes } from './specs-routes';
import { storeOf } from '../store/store';
import { uiRoutes } from './ui-static';
import { traceRequests } from '../observability/tracing';

export type AppOptions = {
  client: Client;
  config: Config;
  /** The model runtime; without one, /api/models is not served and /readyz skips the providers. */
  models?: ModelRuntime;
  /** The agent registry; with one, /api/agents is served and runs naming unknown agents are refused. */
  agents?: AgentRegistry;
  /** The API's own settings; default: read from an empty environment (keys required). */
  api?: ApiConfig;
  auth?: Authorizer;
  metrics?: ApiMetrics;
};

/** Whether this API checks keys: always, on loopback too, unless TROUPE_AUTH=off (for tests). */
export function authRequired(_config: Config, api: ApiConfig): boolean {
  return api.TROUPE_AUTH !== AuthMode.Off;
}

/** How long a browser session from the one-time link lasts. */
const SESSION_MAX_AGE_MS = 30 * 24 * 3600 * 1000;

/** The HTTP API: thin over Temporal, which holds every run's truth. */
export function createApp(options: AppOptions): express.Express {
  const { client, config, models, agents } = options;
  const api = options.api ?? ApiConfig.parse({});
  const auth = options.auth ?? createAuthorizer(new ApiKeyStore(storeOf(config)), authRequired(config, api));
  const metrics = options.metrics ?? createMetrics({ client, config });
  const specs = new SpecStore(storeOf(config));
  const { read, run, admin } = { read: auth.need('read'), run: auth.need('run'), admin: auth.need('admin') };
  /** GETs need `read`; other methods need `scope`, except POSTs that only look (spec validation). */
  const writes =
    (scope: express.RequestHandler, readOnlyPaths: string[] = []): express.RequestHandler =>
    (req, res, next) =>
      req.method === 'GET' || req.method === 'HEAD' || readOnlyPaths.includes(req.path)
        ? read(req, res, next)
        : scope(req, res, next);

  const guards = requestGuards({
    hostNames: allowedHostNames(config.HOST, api.TROUPE_ALLOWED_HOSTS),
    uiOrigin: api.TROUPE_UI_ORIGIN,
  });
  const temporalWeb = temporalWebOrigins(config);

  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', false);
  app.use(traceRequests());
  app.use(metrics.timeRequests);
  app.use(guards.host);
  app.use(
    helmet({
      // The console and the API docs load from this origin only, and talk to it only (REST and
      // Socket.IO); React Flow positions nodes with style attributes, hence 'unsafe-inline' for styles.
      contentSecurityPolicy: {
        useDefaults: true,
        directives: {
          'script-src': ["'self'"],
          'style-src': ["'self'", "'unsafe-inline'"],
          'font-src': ["'self'"],
          'img-src': ["'self'", 'data:'],
          'connect-src': ["'self'"],
          'upgrade-insecure-requests': null,
        },
      },
    }),
  );
  app.use(cors(api.TROUPE_UI_ORIGIN));
  app.use(auth.identify);
  app.use(
    rateLimit({
      windowMs: 60_000,
      limit: api.TROUPE_RATE_LIMIT,
      standardHeaders: 'draft-8',
      legacyHeaders: false,
      // Per verified key only: made-up tokens count against the caller's address, like no token.
      keyGenerator: (req) => (req.apiKey ? `key:${req.apiKey.id}` : ipKeyGenerator(req.ip ?? '')),
      handler: () => {
        throw new HttpError(429, {
          message: `more than ${api.TROUPE_RATE_LIMIT} requests a minute; slow down and retry`,
        });
      },
    }),
  );
  const codecOrigin = guards.origin(temporalWeb);
  const ownOrigin = guards.origin();
  app.use((req, res, next) =>
    req.path.startsWith('/api/codec/') ? codecOrigin(req, res, next) : ownOrigin(req, res, next),
  );
  if (agents) {
    const mayAdmin = (req: express.Request) =>
      auth.check(presentedCredential(req.headers), 'admin').then(
        () => true,
        () => false,
      );
    app.use('/api/chat', writes(run), chatRoutes({ client, config, specs, agents, models, mayAdmin }));
  }
  app.use(express.json({ limit: '2mb' }));
  app.use(refuseUnsafeBody);
  app.use(temporalDeadlines(client));

  // The one-time link `npm start` prints: trade it for a session cookie, then drop it from the address.
  app.get('/', async (req, res, next) => {
    const token = req.query[LOGIN_PARAM];
    if (typeof token !== 'string') return next();
    if (auth.required) {
      if (!(await redeemLoginToken(config.TROUPE_DATA_DIR, token)))
        throw new HttpError(401, {
          message: 'this login link is used up or not known; open the one `npm start` printed last',
        });
      const { key } = await auth.keys.create('browser session', ['admin'], 'session');
      res.cookie(SESSION_COOKIE, key, {
        httpOnly: true,
        sameSite: 'strict',
        secure: req.secure,
        path: '/',
        maxAge: SESSION_MAX_AGE_MS,
      });
    }
    res.redirect(303, '/');
  });

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
    '/api/codec',
    codecRoutes({
      codecs: client.options.loadedDataConverter.payloadCodecs,
      origins: temporalWeb,
      read,
      run,
    }),
  );
  // Every other /api path needs a key, even one that does not exist.
  app.use('/api', read);
  const outcomes = outcomeStoreFor(config);

  app.use(
    '/api/runs',
    writes(run),
    runsRoutes({
      client,
      config,
      specs,
      listCacheMs: api.TROUPE_LIST_CACHE_MS,
      forecast: runForecasts(outcomes),
      ...(agents && { agents }),
    }),
  );
  app.use('/api/specs', writes(run, ['/validate']), specsRoutes({ store: specs }));
  app.use('/api/schedules', writes(admin), schedulesRoutes({ client, config, specs }));
  app.use('/api/approvals', read, approvalsRoutes({ client, config }));
  app.get('/api/ui-config', read, (_req, res) => {
    res.json({
      temporalUiUrl: temporalUiUrl(config),
      namespace: config.TEMPORAL_NAMESPACE,
      ...(api.TROUPE_DEMO && { simulated: true }),
    });
  });
  app.use('/api/analytics', read, analyticsRoutes({ client, config }));
  app.use(
    '/api/analytics',
    read,
    performanceRoutes({ store: outcomes, ...(models && { catalogue: () => models.catalogue }) }),
  );
  app.use('/api/evaluations', read, evaluationsRoutes({ store: outcomes }));
  app.use('/api/keys', admin, keysRoutes({ keys: auth.keys }));
  if (models) app.use('/api/models', read, modelsRoutes({ runtime: models }));
  if (agents) {
    const queue = config.TROUPE_TASK_QUEUE;
    const taskQueues = [agentsQueue(queue), toolsQueue(queue)];
    app.use('/api/agents', read, agentsRoutes({ client, registry: agents, status: config, taskQueues }));
  }

  const blobs = blobStoreFor(config);
  app.get('/api/blobs/:id', read, async (req, res) => {
    const id = String(req.params.id);
    if (!/^sha256:[0-9a-f]{64}$/.test(id)) throw new HttpError(404, { message: `"${id}" is not a blob id` });
    const content = await blobs.get(id).catch(() => {
      throw new HttpError(404, { message: `no blob ${id} in the blob store` });
    });
    res.type('text/plain').send(content);
  });
  app.use(uiRoutes());
  app.use(notFound);
  app.use(problemHandler);
  return app;
}

/** Where Temporal Web runs, by both loopback names, so its codec calls are let in from either. */
export function temporalWebOrigins(config: Config): string[] {
  const { origin, hostname, port } = new URL(temporalUiUrl(config));
  const twin = { localhost: '127.0.0.1', '127.0.0.1': 'localhost' }[hostname];
  return twin ? [origin, `http://${twin}:${port}`] : [origin];
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
