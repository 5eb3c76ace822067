import { stat } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocketServer } from 'ws';
import { browseTool } from '../../src/tools/browser-tool';
import { invokeTool } from '../../src/tools/tool-kit';
import { toolContext } from './helpers';

const livePage = `<!doctype html><html><head><title>Live page</title></head><body><script>
fetch('/data.json').then((r) => r.json()).then((d) => document.body.append('fetched ' + d.answer));
const ws = new WebSocket('ws://' + location.host + '/echo');
ws.onopen = () => ws.send('ping');
ws.onmessage = (e) => document.body.append(' echoed ' + e.data);
</script></body></html>`;

const page = `<!doctype html><html><head><title>Sample page</title></head>
<body><h1>Hello agents</h1><img src="http://example.com/tracker.png">
<script>console.error('widget failed to load'); document.body.append('rendered by script');</script></body></html>`;

let server: Server;
let base: string;
beforeAll(async () => {
  server = createServer((req, res) => {
    if (req.url === '/data.json')
      return res.writeHead(200, { 'content-type': 'application/json' }).end('{"answer":42}');
    res.writeHead(200, { 'content-type': 'text/html' }).end(req.url === '/live' ? livePage : page);
  });
  const echo = new WebSocketServer({ server, path: '/echo' });
  echo.on('connection', (socket) =>
    socket.on('message', (data) => socket.send(`${(data as Buffer).toString('utf8')}-pong`)),
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

describe('browse', () => {
  it('opens a page in the system Chromium and reports text, console errors and a screenshot', async () => {
    const context = await toolContext(undefined, { httpAllowHosts: [new URL(base).host] });
    const outcome = await invokeTool(browseTool, { url: `${base}/`, screenshot: true }, context);
    expect(outcome.ok, JSON.stringify(outcome)).toBe(true);
    const result = (outcome as { output: Record<string, unknown> }).output;
    expect(result).toMatchObject({ status: 200, title: 'Sample page' });
    expect(result.text).toContain('Hello agents');
    expect(result.text).toContain('rendered by script');
    expect(result.consoleErrors).toContain('widget failed to load');
    expect((await stat(result.screenshot as string)).size).toBeGreaterThan(1000);
    expect(String(result.screenshot).startsWith(context.artifactsDir)).toBe(true);
  });

  it("serves the page's fetches and WebSockets from the worker, since Chromium resolves no name itself", async () => {
    const context = await toolContext(undefined, { httpAllowHosts: [new URL(base).host] });
    const outcome = await invokeTool(browseTool, { url: `${base}/live`, waitMs: 1500 }, context);
    expect(outcome.ok, JSON.stringify(outcome)).toBe(true);
    const result = (outcome as { output: Record<string, unknown> }).output;
    expect(result.text).toContain('fetched 42');
    expect(result.text).toContain('echoed ping-pong');
  });

  it('refuses a page on a host off the allowlist without launching anything', async () => {
    const context = await toolContext();
    expect(await invokeTool(browseTool, { url: 'https://example.com/' }, context)).toMatchObject({
      ok: false,
      error: expect.stringContaining('host-allowlist') as string,
    });
  });

  it('says where Chromium was expected when it is missing', async () => {
    const context = await toolContext(undefined, {
      chromiumPath: '/nonexistent/chromium',
      httpAllowHosts: [new URL(base).host],
    });
    expect(await invokeTool(browseTool, { url: `${base}/` }, context)).toMatchObject({
      ok: false,
      error: expect.stringContaining('no Chromium at /nonexistent/chromium') as string,
    });
  });
});
