import { Client, Connection } from '@temporalio/client';
import { loadAgentRegistry } from '../agents/registry';
import { loadConfig, temporalAddress } from '../config';
import { loadCatalogue } from '../models/catalogue-loader';
import { createModelRuntime } from '../models/model-runtime';
import { loadApiConfig } from './api-config';
import { startApiServer } from './api-server';

async function main() {
  const config = loadConfig();
  const api = loadApiConfig();
  const connection = await Connection.connect({ address: temporalAddress(config) });
  const client = new Client({ connection, namespace: config.TEMPORAL_NAMESPACE });
  const models = createModelRuntime({ catalogue: loadCatalogue(), dataDir: config.TROUPE_DATA_DIR });
  const agents = await loadAgentRegistry();
  const server = await startApiServer({ client, config, api, models, agents });
  console.log(`api: listening on http://${config.HOST}:${config.PORT}`);
  const stop = () => {
    void server
      .close()
      .finally(
        () => void connection.close().finally(() => (process.connected ? process.disconnect() : undefined)),
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
