import { createServer, type Server } from 'node:http';
import { logger } from '../observability/logger';
import type { Client } from '@temporalio/client';
import type { Config } from '../config';
import { StatusKind, statusStore } from '../status-board';
import type { ModelRuntime } from '../models/model-runtime';
import type { ApiConfig } from './api-config';
import { ApiKeyStore, ensureLocalKey, localKeyFile } from './api-keys';
import type { AgentRegistry } from '../agents/registry';
import { authRequired, createApp } from './app';
import { createAuthorizer } from './auth';
import { attachChatLive } from './chat-live';
import { attachLiveUpdates, type LiveUpdates } from './live-updates';
import { outcomeStoreFor } from './evaluations-routes';
import { createMetrics } from './metrics';
import { StoreAlertClaims, watchRegressions } from './regression-alerts';
import type { RpcCount } from './rpc-count';
import { allowedHostNames, requestGuards } from './request-guards';
import { openTokenBus } from '../models/token-stream';
import { storeOf } from '../store/store';

export type ApiServer = { server: Server; live: LiveUpdates; close: () => Promise<void> };

/**
 * The whole API on one HTTP server: REST, Socket.IO and metrics. The local key is made in the data
 * folder on first start (never printed), so the CLI on this machine is never locked out.
 */
export async function startApiServer({
  client,
  config,
  api,
  models,
  agents,
  rpcs,
  port = config.PORT,
  host = config.HOST,
  log = (line: string) => logger().info(line),
}: {
  client: Client;
  config: Config;
  api: ApiConfig;
  models?: ModelRuntime;
  agents?: AgentRegistry;
  /** The count of the client's Temporal calls (its connection's interceptor), shown at /metrics. */
  rpcs?: RpcCount;
  port?: number;
  host?: string;
  log?: (line: string) => void;
}): Promise<ApiServer> {
  const keys = new ApiKeyStore(storeOf(config));
  const auth = createAuthorizer(keys, authRequired({ ...config, HOST: host }, api));
  if (auth.required) {
    const { made } = await ensureLocalKey(keys, config.TROUPE_DATA_DIR);
    if (made) log(`api: made the local admin key in ${localKeyFile(config.TROUPE_DATA_DIR)} (mode 0600)`);
  } else {
    log('api: TROUPE_AUTH=off: no key is checked; this is for tests only');
  }
  const metrics = createMetrics({ client, config, ...(rpcs && { rpcs }) });
  const app = createApp({ client, config, models, ...(agents && { agents }), api, auth, metrics });
  const tokens = await openTokenBus(config.REDIS_URL);
  const server = createServer({ maxHeaderSize: 16 * 1024, requestTimeout: 120_000 }, app);
  // Whatever fails from here on, the connections opened so far are closed, so the process can exit.
  const live = await attachLiveUpdates(server, {
    client,
    auth,
    guards: requestGuards({
      hostNames: allowedHostNames(host, api.TROUPE_ALLOWED_HOSTS),
      uiOrigin: api.TROUPE_UI_ORIGIN,
    }),
    uiOrigin: api.TROUPE_UI_ORIGIN,
    redisUrl: config.REDIS_URL,
    pollMs: api.TROUPE_LIVE_POLL_MS,
    maxSubscriptions: api.TROUPE_LIVE_MAX_SUBSCRIPTIONS,
    onStepChange: metrics.stepChanged,
    onClients: (count) => metrics.socketClients.set(count),
    agentStatusDir: statusStore(StatusKind.Agents, config),
    tokens,
  }).catch(async (err: unknown) => {
    await tokens.close();
    throw err;
  });
  const regressions = watchRegressions(live.io, {
    store: outcomeStoreFor(config),
    claims: new StoreAlertClaims(storeOf(config)),
    pollMs: api.TROUPE_ALERT_POLL_MS,
    windowMs: api.TROUPE_ALERT_WINDOW_MS,
    onAlert: (alert) => metrics.alertSent(alert.metric),
  });
  const chatLive = attachChatLive(live.io, {
    client,
    maxSubscriptions: api.TROUPE_LIVE_MAX_SUBSCRIPTIONS,
    tokens,
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) =>
      reject(
        err.code === 'EADDRINUSE'
          ? new Error(`port ${port} on ${host} is taken: stop what uses it, or set PORT to another port`)
          : err,
      ),
    );
    server.listen(port, host, () => resolve());
  }).catch(async (err: unknown) => {
    regressions.close();
    await live.close();
    await tokens.close();
    throw err;
  });
  return {
    server,
    live,
    close: async () => {
      chatLive.close();
      regressions.close();
      await live.close();
      await tokens.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
