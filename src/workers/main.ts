import { DefaultLogger, NativeConnection, Runtime } from '@temporalio/worker';
import { loadConfig, temporalAddress } from '../config';
import { createTroupeWorker } from './worker';

async function main() {
  const config = loadConfig();
  Runtime.install({ logger: new DefaultLogger(config.TROUPE_LOG_LEVEL) });
  const address = temporalAddress(config);
  const connection = await NativeConnection.connect({ address }).catch((err: Error) => {
    throw new Error(`the worker could not reach Temporal at ${address} (TEMPORAL_ADDRESS): ${err.message}`);
  });
  const worker = await createTroupeWorker({
    connection,
    namespace: config.TEMPORAL_NAMESPACE,
    taskQueue: config.TROUPE_TASK_QUEUE,
    dataDir: config.TROUPE_DATA_DIR,
  });
  // Started by `npm start`: stop when the supervisor goes away, however it went.
  process.once('disconnect', () => {
    if (worker.getState() === 'RUNNING') worker.shutdown();
  });
  console.log(`worker: polling task queue "${config.TROUPE_TASK_QUEUE}" on ${address}`);
  process.send?.({ ready: 'worker' });
  await worker.run();
  await connection.close();
  process.disconnect?.();
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
