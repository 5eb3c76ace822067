import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { loadAgentRegistry } from '../../src/agents/registry';
import { ApiConfig } from '../../src/api/api-config';
import { startApiServer, type ApiServer } from '../../src/api/api-server';
import { uiDist } from '../../src/api/ui-static';
import { chromiumFlags } from '../../src/tools/chromium-flags';
import type { ModelRuntime } from '../../src/models/model-runtime';
import type { Api } from '../helpers/harness';
import { startStack, type Stack } from '../helpers/stack';

/** The console is built by `npm run setup`; a test run on a checkout without ui/dist builds it first. */
export function ensureUiBuilt(): void {
  if (existsSync(join(uiDist, 'index.html'))) return;
  const result = spawnSync('npm', ['run', '--silent', 'build:ui'], { stdio: 'inherit' });
  if (result.status !== 0) throw new Error(`npm run build:ui failed with exit code ${result.status}`);
}

export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: '/usr/bin/chromium', args: [...chromiumFlags] });
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      probe.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

export type UiStack = Stack & {
  /** The whole API server (REST, Socket.IO, the built UI) on a fixed port, so it can be restarted. */
  ui: Api;
  stopApi(): Promise<void>;
  startApi(): Promise<void>;
};

/**
 * A test stack plus the whole API serving the console, on a port that stays the same across restarts.
 * With `agents`, the shipped agents run, and the API lists them and the models.
 */
export async function startUiStack(
  name: string,
  models?: (api: Api) => ModelRuntime,
  { agents = false }: { agents?: boolean } = {},
): Promise<UiStack> {
  ensureUiBuilt();
  const stack = await startStack(name, { ...(models && { models }), agents });
  const registry = agents ? await loadAgentRegistry() : undefined;
  const apiModels = agents && models ? models(stack.api) : undefined;
  const port = await freePort();
  const config = { ...stack.api.config, PORT: port, HOST: '127.0.0.1' };
  let server: ApiServer | undefined;
  const startApi = async () => {
    server = await startApiServer({
      client: stack.env.client,
      config,
      api: ApiConfig.parse({ TROUPE_AUTH: 'off', TROUPE_LIVE_POLL_MS: '100' }),
      ...(registry && { agents: registry }),
      ...(apiModels && { models: apiModels }),
      port,
      host: '127.0.0.1',
      log: () => undefined,
    });
  };
  const stopApi = async () => {
    await server?.close();
    server = undefined;
  };
  await startApi();
  const ui: Api = { baseUrl: `http://127.0.0.1:${port}`, config, close: stopApi };
  return {
    ...stack,
    ui,
    startApi,
    stopApi,
    stop: async () => {
      await stopApi();
      await stack.stop();
    },
  };
}
