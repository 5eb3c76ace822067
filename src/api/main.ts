import { Client, Connection } from '@temporalio/client';
import { loadConfig, temporalAddress } from '../config';
import { loadCatalogue } from '../models/catalogue-loader';
import { createModelRuntime } from '../models/model-runtime';
import { createApp } from './app';
import { listen } from './listen';

async function main() {
  const config = loadConfig();
  const connection = await Connection.connect({ address: temporalAddress(config) });
  const client = new Client({ connection, namespace: config.TEMPORAL_NAMESPACE });
  const models = createModelRuntime({ catalogue: loadCatalogue(), dataDir: config.TROUPE_DATA_DIR });
  const server = await listen(createApp({ client, config, models }), config.PORT, config.HOST);
  console.log(`api: listening on http://${config.HOST}:${config.PORT}`);
  const stop = () => {
    server.close(() => {
      void connection.close().finally(() => process.disconnect?.());
    });
    server.closeAllConnections();
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  process.once('disconnect', stop);
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
