import { resolve } from 'node:path';
import { defaultScriptPath, startFakeModelServer } from './server';

/** `npm run fake-models`: the scripted model server on FAKE_MODELS_PORT, for demos and tests with no model. */
async function main() {
  const port = Number(process.env.FAKE_MODELS_PORT ?? 4010);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new Error(`FAKE_MODELS_PORT=${process.env.FAKE_MODELS_PORT} is not a port number`);
  }
  const scriptPath = resolve(process.env.FAKE_MODELS_SCRIPT ?? defaultScriptPath);
  const server = await startFakeModelServer({ port, script: scriptPath });
  console.log(`fake-models: SIMULATED model server (no real model answers here), script ${scriptPath}`);
  console.log(`  Ollama API  ${server.url}       (OLLAMA_HOST=${server.url})`);
  console.log(
    `  OpenAI API  ${server.openaiUrl}    (OPENAI_BASE_URL=${server.openaiUrl} OPENAI_API_KEY=anything)`,
  );
  const stop = () => void server.close().then(() => process.exit(0));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
