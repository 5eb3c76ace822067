import { DefaultLogger, NativeConnection, Runtime } from '@temporalio/worker';
import { loadConfig, temporalAddress } from '../config';
import { loadCatalogue } from '../models/catalogue-loader';
import { createModelRuntime } from '../models/model-runtime';
import { createTroupeWorkers } from './worker';

async function main() {
  const config = loadConfig();
  Runtime.install({ logger: new DefaultLogger(config.TROUPE_LOG_LEVEL) });
  const models = createModelRuntime({ catalogue: loadCatalogue(), dataDir: config.TROUPE_DATA_DIR });
  const address = temporalAddress(config);
  const connection = await NativeConnection.connect({ address }).catch((err: Error) => {
    throw new Error(`the worker could not reach Temporal at ${address} (TEMPORAL_ADDRESS): ${err.message}`);
  });
  const workers = await createTroupeWorkers({
    connection,
    namespace: config.TEMPORAL_NAMESPACE,
    taskQueue: config.TROUPE_TASK_QUEUE,
    dataDir: config.TROUPE_DATA_DIR,
    models,
  });
  // Started by `npm start`: stop when the supervisor goes away, however it went.
  process.once('disconnect', () => workers.shutdown());
  const queues = [
    config.TROUPE_TASK_QUEUE,
    ...(workers.pools?.workers.map(({ queue }) => queue.taskQueue) ?? []),
  ];
  console.log(`worker: polling ${queues.join(', ')} on ${address}`);
  process.send?.({ ready: 'worker' });
  await workers.run();
  await connection.close();
  process.disconnect?.();
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
