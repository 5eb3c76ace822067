import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { httpFetchTool } from '../../src/tools/http-tools';
import { invokeTool } from '../../src/tools/tool-kit';
import { toolContext } from '../agents/helpers';

// A stand-in for the Troupe API on loopback, and a page elsewhere that redirects to it.
let api: Server;
let apiPort: number;
let hits = 0;
beforeAll(async () => {
  api = createServer((req, res) => {
    hits += 1;
    if (req.url === '/bounce') res.writeHead(302, { location: `http://127.0.0.1:${apiPort}/api/runs` }).end();
    else res.writeHead(200).end('{"runs":[]}');
  });
  await new Promise<void>((resolve) => api.listen(0, '127.0.0.1', resolve));
  apiPort = (api.address() as AddressInfo).port;
});
afterAll(() => new Promise<void>((resolve) => api.close(() => resolve())));

describe('http_fetch against inward addresses', () => {
  it('refuses the API address, names resolving to loopback, numeric forms and cloud metadata, even when allowlisted', async () => {
    const allow = [
      '127.0.0.1',
      'localhost',
      '2130706433',
      '[::ffff:7f00:1]',
      '[::1]',
      '169.254.169.254',
      '10.0.0.1',
    ];
    const context = await toolContext(undefined, { httpAllowHosts: allow, commandTimeoutMs: 5000 });
    const before = hits;
    for (const url of [
      `http://127.0.0.1:${apiPort}/api/runs`,
      `http://localhost:${apiPort}/api/runs`,
      `http://2130706433:${apiPort}/api/runs`,
      `http://[::ffff:127.0.0.1]:${apiPort}/api/runs`,
      `http://[::1]:${apiPort}/api/runs`,
      'http://169.254.169.254/latest/meta-data/',
      'http://10.0.0.1/',
    ]) {
      const outcome = await invokeTool(httpFetchTool, { url }, context);
      expect(outcome, url).toMatchObject({
        ok: false,
        error: expect.stringContaining('inward-address') as string,
      });
    }
    expect(hits).toBe(before);
  });

  it('refuses a redirect to the API from a host the operator allowed by name and port', async () => {
    const context = await toolContext(undefined, { httpAllowHosts: [`localhost:${apiPort}`, '127.0.0.1'] });
    const outcome = await invokeTool(httpFetchTool, { url: `http://localhost:${apiPort}/bounce` }, context);
    expect(outcome).toMatchObject({ ok: false, error: expect.stringContaining('inward-address') as string });
  });

  it('refuses everything by default: the allowlist is empty', async () => {
    const context = await toolContext();
    const outcome = await invokeTool(httpFetchTool, { url: `http://127.0.0.1:${apiPort}/api/runs` }, context);
    expect(outcome).toMatchObject({ ok: false, error: expect.stringContaining('host-allowlist') as string });
  });

  it('reaches an inward host only when the operator names it with its port, and caps the body', async () => {
    const context = await toolContext(undefined, {
      httpAllowHosts: [`127.0.0.1:${apiPort}`],
      maxOutputBytes: 4,
    });
    const outcome = await invokeTool(httpFetchTool, { url: `http://127.0.0.1:${apiPort}/api/runs` }, context);
    expect(outcome).toMatchObject({ ok: true, output: { status: 200, truncated: true } });
  });
});
