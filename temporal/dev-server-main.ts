import { loadConfig, temporalUiUrl } from '../src/config';
import { startDevServer } from './dev-server';

/**
 * `npm run temporal`: the Temporal dev server alone, started as `npm start` starts it (SQLite under
 * TROUPE_DATA_DIR, TEMPORAL_PORT, TEMPORAL_UI_PORT, Troupe's search attributes and dynamic config),
 * for running workers and the API as separate processes (`npm run worker`, `npm run api`).
 */
async function main() {
  const config = loadConfig();
  const server = await startDevServer({
    dataDir: config.TROUPE_DATA_DIR,
    port: config.TEMPORAL_PORT,
    uiPort: config.TEMPORAL_UI_PORT,
    namespace: config.TEMPORAL_NAMESPACE,
  });
  console.log(`temporal: the dev server is up`);
  console.log(`  Temporal gRPC  ${server.address}   (namespace "${config.TEMPORAL_NAMESPACE}")`);
  console.log(`  Temporal Web   ${temporalUiUrl(config)}`);
  console.log('Press Ctrl-C to stop.');
  let stopping = false;
  const stop = () => {
    stopping = true;
    void server.stop().then(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  server.process.once('exit', (code, signal) => {
    if (stopping) return;
    console.error(`temporal: the dev server stopped unexpectedly (${signal ?? `exit code ${code}`})`);
    process.exit(1);
  });
}

main().catch((err: unknown) => {
  console.error(`temporal: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
