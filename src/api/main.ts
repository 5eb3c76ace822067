import { Client } from '@temporalio/client';
import { loadAgentRegistry } from '../agents/registry';
import { loadDataConverter } from '../codec/data-converter';
import { ensureSearchAttributes } from '../../temporal/search-attributes';
import { loadConfig, temporalAddress } from '../config';
import { loadCatalogue } from '../models/catalogue-loader';
import { createModelRuntime } from '../models/model-runtime';
import { closeStores, storeOf } from '../store/store';
import { loadApiConfig } from './api-config';
import { startApiServer } from './api-server';
import { createRpcCount } from './rpc-count';
import { connectApiToTemporal } from './temporal-connection';
import { startTracing, tracingClientInterceptors } from '../observability/tracing';
import { logger } from '../observability/logger';

async function main() {
  const tracing = startTracing('troupe-api');
  const config = loadConfig();
  const api = loadApiConfig();
  const address = temporalAddress(config);
  const rpcs = createRpcCount();
  const connection = await connectApiToTemporal(address, rpcs);
  // Runs start with these and lists filter on them; without them every POST /api/runs would fail.
  await ensureSearchAttributes(connection.operatorService, { namespace: config.TEMPORAL_NAMESPACE, address });
  const dataConverter = await loadDataConverter(config.TROUPE_DATA_DIR);
  const client = new Client({
    connection,
    namespace: config.TEMPORAL_NAMESPACE,
    dataConverter,
    interceptors: tracingClientInterceptors(tracing),
  });
  const models = createModelRuntime({
    catalogue: loadCatalogue(),
    dataDir: config.TROUPE_DATA_DIR,
    status: config,
  });
  const agents = await loadAgentRegistry();
  // Keys, specs, the ledger: a store that cannot be opened is said at start, not on the first request.
  await storeOf(config).query();
  const server = await startApiServer({ client, config, api, models, agents, rpcs });
  logger('troupe-api').info(`listening on http://${config.HOST}:${config.PORT}`);
  const stop = () => {
    void server
      .close()
      .finally(
        () =>
          void Promise.allSettled([connection.close(), closeStores(), tracing.shutdown()]).finally(() =>
            process.connected ? process.disconnect() : undefined,
          ),
      );
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  process.once('disconnect', stop);
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
