import { resolve } from 'node:path';
import { defaultCatalogueFile } from '../models/catalogue-loader';
import { defaultScriptPath, startFakeModelServer, type FakeModelServer } from './server';

/** Set for the parts `npm run demo` starts: the API then says `simulated: true` in /api/ui-config. */
export const DEMO_ENV = 'TROUPE_DEMO';

/** Whether the command line asks for the demo (`npm start -- --demo`, which `npm run demo` runs). */
export const wantsDemo = (argv: string[] = process.argv.slice(2)): boolean => argv.includes('--demo');

export type DemoModels = {
  server: FakeModelServer;
  /** The environment that points the shipped catalogue at the scripted server, and only there. */
  env: Record<string, string>;
  /** What to print at start, so nobody takes a scripted answer for a model's. */
  note: string;
};

/**
 * Starts the scripted model server for the demo (on FAKE_MODELS_PORT, else any free port, with
 * FAKE_MODELS_SCRIPT or the default script) and the environment for the workers and the API: the
 * shipped catalogue, its Ollama and OpenAI providers on the scripted server, and no key for any other
 * provider, so no request of the demo leaves this machine.
 */
export async function startDemoModels(env: NodeJS.ProcessEnv = process.env): Promise<DemoModels> {
  const port = Number(env.FAKE_MODELS_PORT ?? 0);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new Error(`FAKE_MODELS_PORT=${env.FAKE_MODELS_PORT} is not a port number`);
  const script = resolve(env.FAKE_MODELS_SCRIPT ?? defaultScriptPath);
  const server = await startFakeModelServer({ port, script });
  return {
    server,
    env: {
      [DEMO_ENV]: '1',
      TROUPE_MODELS_FILE: defaultCatalogueFile,
      OLLAMA_HOST: server.url,
      OPENAI_BASE_URL: server.openaiUrl,
      OPENAI_API_KEY: 'simulated',
      DEEPSEEK_API_KEY: '',
    },
    note: `demo: every model answer is SIMULATED by the scripted model server at ${server.url} (script ${script})`,
  };
}
