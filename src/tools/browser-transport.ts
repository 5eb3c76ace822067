import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { BrowserContext, Route, WebSocketRoute } from 'playwright-core';
import WebSocket from 'ws';
import { allowVerdict, checkedLookup, checkLiteralAddress } from './http-address';
import { checkUrl } from './http-tools';

/**
 * Chromium's own resolver finds nothing: every name it would look up fails. The page's requests and
 * WebSockets are made by the worker instead, through the same checked lookup as http_fetch, so the
 * address checked is the address connected to. Letting Chromium connect after a separate check would
 * leave a DNS-rebinding window between the two lookups.
 */
export const noResolverFlag = '--host-resolver-rules=MAP * ~NOTFOUND';

/** Headers Node's client sets itself, or that make no sense once the worker makes the request. */
const hopByHop = new Set(['host', 'connection', 'content-length', 'transfer-encoding', 'keep-alive']);

/**
 * Serves every request and WebSocket of `context` from the worker, under the allowlist and address
 * rules of http_fetch; a refused one is aborted (requests) or closed with 1008 (WebSockets). Bodies are
 * capped at `maxBytes`.
 */
export async function routeThroughWorker(
  context: BrowserContext,
  { allow, maxBytes, signal }: { allow: readonly string[]; maxBytes: number; signal: AbortSignal },
): Promise<void> {
  await context.route('**/*', async (route) => {
    const scheme = route.request().url().split(':')[0];
    if (scheme === 'data' || scheme === 'blob') return route.continue();
    try {
      await fulfillChecked(route, allow, maxBytes, signal);
    } catch {
      await route.abort('blockedbyclient').catch(() => undefined);
    }
  });
  await context.routeWebSocket(/.*/, (socket) => bridgeChecked(socket, allow));
}

async function fulfillChecked(route: Route, allow: readonly string[], maxBytes: number, signal: AbortSignal) {
  const request = route.request();
  const url = checkUrl(request.url(), allow);
  const verdict = allowVerdict(url, allow);
  checkLiteralAddress(url, verdict);
  const headers = Object.fromEntries(
    Object.entries(await request.allHeaders()).filter(
      ([name]) => !hopByHop.has(name) && !name.startsWith(':'),
    ),
  );
  const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
  const response = await new Promise<{ status: number; headers: Record<string, string>; body: Buffer }>(
    (resolve, reject) => {
      const req = send(
        url,
        { method: request.method(), headers, signal, lookup: checkedLookup(url.toString(), verdict) },
        (res) => {
          const chunks: Buffer[] = [];
          let size = 0;
          res.on('data', (chunk: Buffer) => {
            size += chunk.length;
            if (size > maxBytes) return res.destroy(new Error(`the response is over ${maxBytes} bytes`));
            chunks.push(chunk);
          });
          res.on('end', () =>
            resolve({
              status: res.statusCode ?? 502,
              headers: Object.fromEntries(
                Object.entries(res.headers).flatMap(([name, value]) =>
                  value === undefined || hopByHop.has(name)
                    ? []
                    : [[name, Array.isArray(value) ? value.join(', ') : value]],
                ),
              ),
              body: Buffer.concat(chunks),
            }),
          );
          res.on('error', reject);
        },
      );
      req.on('error', reject);
      req.end(request.postDataBuffer() ?? undefined);
    },
  );
  // A redirect goes back to Chromium, which asks again for its target: that request is checked too.
  await route.fulfill(response);
}

/** Opens the page's WebSocket from the worker, through the checked lookup, and relays both ways. */
function bridgeChecked(socket: WebSocketRoute, allow: readonly string[]): void {
  const refuse = () => socket.close({ code: 1008, reason: 'refused by the allowlist or address rules' });
  let server: WebSocket;
  try {
    const url = checkUrl(socket.url().replace(/^ws/, 'http'), allow);
    const verdict = allowVerdict(url, allow);
    checkLiteralAddress(url, verdict);
    server = new WebSocket(socket.url(), { lookup: checkedLookup(url.toString(), verdict) });
  } catch {
    return void refuse();
  }
  const pending: (string | Buffer)[] = [];
  socket.onMessage((message) =>
    server.readyState === WebSocket.OPEN ? server.send(message) : pending.push(message),
  );
  socket.onClose((code, reason) => server.close(closable(code), reason));
  server.on('open', () => pending.splice(0).forEach((message) => server.send(message)));
  server.on('message', (data: Buffer, isBinary) => socket.send(isBinary ? data : data.toString('utf8')));
  server.on(
    'close',
    (code, reason) => void socket.close({ code: closable(code), reason: reason.toString('utf8') }),
  );
  server.on('error', () => void refuse());
}

/** A close code that may be sent in a close frame (1005 and 1006 only ever describe one). */
const closable = (code: number | undefined) =>
  code === 1000 || (code !== undefined && code >= 3000 && code < 5000) ? code : 1000;
