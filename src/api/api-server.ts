import { join } from 'node:path';
import { createServer, type Server } from 'node:http';
import type { Client } from '@temporalio/client';
import type { Config } from '../config';
import type { ModelRuntime } from '../models/model-runtime';
import type { ApiConfig } from './api-config';
import { ApiKeyStore } from './api-keys';
import type { AgentRegistry } from '../agents/registry';
import { authRequired, createApp } from './app';
import { createAuthorizer } from './auth';
import { attachLiveUpdates, type LiveUpdates } from './live-updates';
import { createMetrics } from './metrics';
import { openTokenBus } from '../models/token-stream';

export type ApiServer = { server: Server; live: LiveUpdates; close: () => Promise<void> };

/**
 * The whole API on one HTTP server: REST, Socket.IO and metrics. When keys are required and none
 * exists yet, an admin key is made and printed once, so a first start is never locked out.
 */
export async function startApiServer({
  client,
  config,
  api,
  models,
  agents,
  port = config.PORT,
  host = config.HOST,
  log = console.log,
}: {
  client: Client;
  config: Config;
  api: ApiConfig;
  models?: ModelRuntime;
  agents?: AgentRegistry;
  port?: number;
  host?: string;
  log?: (line: string) => void;
}): Promise<ApiServer> {
  const keys = new ApiKeyStore(config.TROUPE_DATA_DIR);
  const auth = createAuthorizer(keys, authRequired({ ...config, HOST: host }, api));
  if (auth.required && (await keys.list()).length === 0) {
    const { key } = await keys.create('first admin key', ['admin']);
    log(`api: keys are required and none existed; an admin key was made (shown only now):\n\n    ${key}\n`);
  }
  const metrics = createMetrics({ client, config });
  const app = createApp({ client, config, models, ...(agents && { agents }), api, auth, metrics });
  const tokens = await openTokenBus(config.REDIS_URL);
  const server = createServer({ maxHeaderSize: 16 * 1024, requestTimeout: 120_000 }, app);
  // Whatever fails from here on, the connections opened so far are closed, so the process can exit.
  const live = await attachLiveUpdates(server, {
    client,
    auth,
    uiOrigin: api.TROUPE_UI_ORIGIN,
    redisUrl: config.REDIS_URL,
    pollMs: api.TROUPE_LIVE_POLL_MS,
    onStepChange: metrics.stepChanged,
    onClients: (count) => metrics.socketClients.set(count),
    agentStatusDir: join(config.TROUPE_DATA_DIR, 'agents', 'status'),
    tokens,
  }).catch(async (err: unknown) => {
    await tokens.close();
    throw err;
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
    await live.close();
    await tokens.close();
    throw err;
  });
  return {
    server,
    live,
    close: async () => {
      await live.close();
      await tokens.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
