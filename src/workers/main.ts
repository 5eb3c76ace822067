import { parseArgs } from 'node:util';
import { NativeConnection, Runtime, type Logger } from '@temporalio/worker';
import { loadDataConverter } from '../codec/data-converter';
import { ensureSearchAttributes } from '../../temporal/search-attributes';
import { loadConfig, temporalAddress } from '../config';
import { loadAgentRegistry } from '../agents/registry';
import { loadCatalogue } from '../models/catalogue-loader';
import { loadToolSettings } from '../tools/tool-settings';
import { createModelRuntime } from '../models/model-runtime';
import { storeOf } from '../store/store';
import { openTokenBus, processTokenBus } from '../models/token-stream';
import { loadPoolsConfig, parsePools } from './pools';
import { createTroupeWorkers } from './worker';
import { startTracing } from '../observability/tracing';
import { logger, PinoTemporalLogger } from '../observability/logger';

/**
 * Installs the SDK's runtime, serving its Prometheus metrics on `metrics` (host:port) when given. A
 * taken port costs the metrics, with a warning, not the worker: answers where they are served, if anywhere.
 */
function installRuntime(sdkLogger: Logger, metrics: string | undefined, pools: string[]): string | undefined {
  if (metrics) {
    try {
      Runtime.install({
        logger: sdkLogger,
        telemetryOptions: {
          metrics: { prometheus: { bindAddress: metrics }, globalTags: { pools: pools.join(',') } },
        },
      });
      return metrics;
    } catch (err) {
      logger().warn(
        `Temporal SDK metrics not served on ${metrics} (TROUPE_WORKER_METRICS): ${(err as Error).message}`,
      );
    }
  }
  Runtime.install({ logger: sdkLogger });
  return undefined;
}

/** `npm run worker [-- --pool tools,local-models]`: serves the given pools, or all of them. */
async function main() {
  const { values } = parseArgs({ options: { pool: { type: 'string' } } });
  const tracing = startTracing('troupe-worker');
  const config = loadConfig();
  const pools = parsePools(values.pool ?? process.env.TROUPE_POOL);
  const sizes = loadPoolsConfig();
  const log = logger('troupe-worker');
  // The SDK's lines (the workflows' and activities' too) as JSON; without its warning that a pool serving
  // only activities has no workflows: by design.
  const metrics = installRuntime(
    new PinoTemporalLogger(log, (message) => message.startsWith('No workflows registered')),
    config.TROUPE_WORKER_METRICS,
    pools,
  );
  const models = createModelRuntime({
    catalogue: loadCatalogue(),
    dataDir: config.TROUPE_DATA_DIR,
    status: config,
    // Tokens are a live view: without Redis the runs go on, and npm start still carries tokens over IPC.
    tokens: await openTokenBus(config.REDIS_URL).catch((err: Error) => {
      log.warn(`${err.message}; model tokens will not stream through Redis`);
      return processTokenBus();
    }),
  });
  const agents = pools.includes('agents')
    ? { registry: await loadAgentRegistry(), tools: await loadToolSettings() }
    : undefined;
  const address = temporalAddress(config);
  const connection = await NativeConnection.connect({ address }).catch((err: Error) => {
    throw new Error(`the worker could not reach Temporal at ${address} (TEMPORAL_ADDRESS): ${err.message}`);
  });
  // Workflows write these; on a server without them every workflow task would fail.
  await ensureSearchAttributes(connection.operatorService, { namespace: config.TEMPORAL_NAMESPACE, address });
  // Outcome records and the ledger: a store that cannot be opened is said at start.
  const store = storeOf(config);
  await store.query();
  const workers = await createTroupeWorkers({
    connection,
    namespace: config.TEMPORAL_NAMESPACE,
    taskQueue: config.TROUPE_TASK_QUEUE,
    dataDir: config.TROUPE_DATA_DIR,
    status: config,
    dataConverter: await loadDataConverter(config.TROUPE_DATA_DIR),
    models,
    ...(agents && { agents }),
    store,
    pools,
    sizes,
    tracing,
  });
  // Started by `npm start`: stop when the supervisor goes away, however it went.
  process.once('disconnect', () => workers.shutdown());
  if (metrics) log.info(`Temporal SDK metrics on http://${metrics}/metrics`);
  for (const { pool, taskQueues } of workers.served) {
    log.info(
      { pool, taskQueues },
      `pool ${pool} polls ${taskQueues.join(', ') || '(no queue: no provider in the catalogue)'} on ${address}`,
    );
  }
  process.send?.({ ready: 'worker' });
  await workers.run();
  await models.tokens.close();
  await tracing.shutdown();
  await connection.close();
  process.disconnect?.();
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
