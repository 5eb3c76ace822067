import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { fileURLToPath } from 'node:url';
import { handleOllama } from './ollama-api';
import { handleOpenAI } from './openai-api';
import {
  SIMULATED_HEADER,
  SIMULATED_PREFIX,
  sendJson,
  type RecordedRequest,
  type ServerState,
} from './replies';
import { FakeScript, loadScript, type FakeScriptInput } from './script';

export const defaultScriptPath = fileURLToPath(new URL('./default-script.yaml', import.meta.url));

export type FakeModelServer = {
  /** The server root: Ollama's API is here, OpenAI's under `${url}/v1`. */
  url: string;
  openaiUrl: string;
  /** Every chat request received, in order; tests read it to prove a call never reached a model. */
  requests: RecordedRequest[];
  setScript(script: FakeScriptInput): void;
  close(): Promise<void>;
};

/**
 * Starts the scripted model server: the OpenAI API under /v1 and the Ollama API at /, on a real
 * socket, so the real openai and ollama clients talk to it exactly as they would to a model.
 */
export async function startFakeModelServer({
  port = 0,
  host = '127.0.0.1',
  script,
}: {
  port?: number;
  host?: string;
  /** A script object, or the path of a script file; the default script when absent. */
  script?: FakeScriptInput | string;
} = {}): Promise<FakeModelServer> {
  const state: ServerState = {
    script:
      typeof script === 'string'
        ? loadScript(script)
        : script
          ? FakeScript.parse(script)
          : loadScript(defaultScriptPath),
    seen: new Map(),
    requests: [],
  };
  const sockets = new Set<Socket>();
  const server = createServer((req, res) => {
    res.setHeader(SIMULATED_HEADER, 'true');
    route(state, req, res).catch((err: unknown) => {
      if (!res.headersSent)
        sendJson(res, 500, { error: `${SIMULATED_PREFIX}the fake server failed: ${String(err)}` });
      else res.destroy();
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const { port: bound } = server.address() as AddressInfo;
  const url = `http://${host}:${bound}`;
  return {
    url,
    openaiUrl: `${url}/v1`,
    requests: state.requests,
    setScript(next) {
      state.script = FakeScript.parse(next);
      state.seen.clear();
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const socket of sockets) socket.destroy();
      }),
  };
}

async function route(state: ServerState, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const path = new URL(req.url ?? '/', 'http://localhost').pathname;
  if (path.startsWith('/v1/')) return handleOpenAI(state, req, res, path.slice(3));
  if (path === '/' || path.startsWith('/api/')) return handleOllama(state, req, res, path);
  sendJson(res, 404, { error: `${SIMULATED_PREFIX}no route ${req.method} ${path}` });
}
