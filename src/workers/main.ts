import { parseArgs } from 'node:util';
import {
  DefaultLogger,
  NativeConnection,
  Runtime,
  type LogLevel,
  type LogMetadata,
} from '@temporalio/worker';
import { loadDataConverter } from '../codec/data-converter';
import { ensureSearchAttributes } from '../../temporal/search-attributes';
import { loadConfig, temporalAddress } from '../config';
import { loadAgentRegistry } from '../agents/registry';
import { loadCatalogue } from '../models/catalogue-loader';
import { loadToolSettings } from '../tools/tool-settings';
import { createModelRuntime } from '../models/model-runtime';
import { openTokenBus, processTokenBus } from '../models/token-stream';
import { loadPoolsConfig, parsePools } from './pools';
import { createTroupeWorkers } from './worker';

/** The SDK's logger, without its warning that a pool serving only activities has no workflows: by design. */
class WorkerLogger extends DefaultLogger {
  override log(level: LogLevel, message: string, meta?: LogMetadata): void {
    if (message.startsWith('No workflows registered')) return;
    super.log(level, message, meta);
  }
}

/** `npm run worker [-- --pool tools,local-models]`: serves the given pools, or all of them. */
async function main() {
  const { values } = parseArgs({ options: { pool: { type: 'string' } } });
  const config = loadConfig();
  const pools = parsePools(values.pool ?? process.env.TROUPE_POOL);
  const sizes = loadPoolsConfig();
  Runtime.install({ logger: new WorkerLogger(config.TROUPE_LOG_LEVEL) });
  const models = createModelRuntime({
    catalogue: loadCatalogue(),
    dataDir: config.TROUPE_DATA_DIR,
    status: config,
    // Tokens are a live view: without Redis the runs go on, and npm start still carries tokens over IPC.
    tokens: await openTokenBus(config.REDIS_URL).catch((err: Error) => {
      console.warn(`worker: ${err.message}; model tokens will not stream through Redis`);
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
  const workers = await createTroupeWorkers({
    connection,
    namespace: config.TEMPORAL_NAMESPACE,
    taskQueue: config.TROUPE_TASK_QUEUE,
    dataDir: config.TROUPE_DATA_DIR,
    status: config,
    dataConverter: await loadDataConverter(config.TROUPE_DATA_DIR),
    models,
    ...(agents && { agents }),
    pools,
    sizes,
  });
  // Started by `npm start`: stop when the supervisor goes away, however it went.
  process.once('disconnect', () => workers.shutdown());
  for (const { pool, taskQueues } of workers.served) {
    console.log(
      `worker: pool ${pool} polls ${taskQueues.join(', ') || '(no queue: no provider in the catalogue)'} on ${address}`,
    );
  }
  process.send?.({ ready: 'worker' });
  await workers.run();
  await models.tokens.close();
  await connection.close();
  process.disconnect?.();
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
