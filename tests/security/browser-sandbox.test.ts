import { existsSync } from 'node:fs';
import { readdir, readFile, readlink } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { browseTool } from '../../src/tools/browser-tool';
import { invokeTool } from '../../src/tools/tool-kit';
import { toolContext } from '../agents/helpers';

/** Stands for a provider key in the worker's environment. */
const workerSecret = 'sk-browser-probe-7d1e';
process.env.TROUPE_BROWSER_PROBE_KEY = workerSecret;

type Seen = {
  pid: string;
  uid: number;
  userNs: string;
  pidNs: string;
  environ: string;
  passwd: string;
  /** Whether a host file outside the system folders (this checkout's package.json) is in its view. */
  seesHostFiles: boolean;
  /** Whether it was started with every host name mapped to "not found" (the main process is). */
  resolvesNothing: boolean;
};
let server: Server;
let base: string;
const hostFile = join(process.cwd(), 'package.json');
const seen: Seen[] = [];

/** Every Chromium process of a browse call, as the host sees it, looked at while it serves the page. */
async function chromiumProcesses(): Promise<Seen[]> {
  const found: Seen[] = [];
  for (const pid of await readdir('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    const cmdline = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
    if (!cmdline.includes('troupe-browse-') || !/chromium/.test(cmdline) || /bwrap|setpriv/.test(cmdline))
      continue;
    const status = await readFile(`/proc/${pid}/status`, 'utf8').catch(() => '');
    found.push({
      pid,
      uid: Number(/^Uid:\s+(\d+)/m.exec(status)?.[1]),
      userNs: await readlink(`/proc/${pid}/ns/user`).catch(() => ''),
      pidNs: await readlink(`/proc/${pid}/ns/pid`).catch(() => ''),
      environ: await readFile(`/proc/${pid}/environ`, 'utf8').catch(() => ''),
      passwd: await readFile(`/proc/${pid}/root/etc/passwd`, 'utf8').catch(() => ''),
      seesHostFiles: existsSync(join('/proc', pid, 'root', hostFile)),
      resolvesNothing: cmdline.includes('--host-resolver-rules=MAP * ~NOTFOUND'),
    });
  }
  return found.filter((one) => one.userNs);
}

beforeAll(async () => {
  server = createServer((_req, res) => {
    void chromiumProcesses().then((processes) => {
      seen.push(...processes);
      res.writeHead(200, { 'content-type': 'text/html' }).end('<title>probe</title><p>looked at</p>');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

describe('the browser tool’s Chromium', () => {
  it('runs in the sandbox: own user and PID namespaces, no host users, no worker environment, no host files', async () => {
    const context = await toolContext(undefined, { httpAllowHosts: [new URL(base).host] });
    const outcome = await invokeTool(browseTool, { url: `${base}/` }, context);
    expect(outcome, JSON.stringify(outcome)).toMatchObject({ ok: true, output: { title: 'probe' } });
    expect((outcome as { output: { unconfined?: true } }).output.unconfined).toBeUndefined();
    expect(seen.length).toBeGreaterThan(0);
    // Chromium looks up no name itself: the worker makes its requests through the checked lookup.
    expect(seen.some((one) => one.resolvesNothing)).toBe(true);
    expect(existsSync(hostFile)).toBe(true);
    const own = { userNs: await readlink('/proc/self/ns/user'), pidNs: await readlink('/proc/self/ns/pid') };
    for (const one of seen) {
      expect(one.userNs, one.pid).not.toBe(own.userNs);
      expect(one.pidNs, one.pid).not.toBe(own.pidNs);
      if (process.getuid?.() === 0) expect(one.uid, one.pid).not.toBe(0);
      expect(one.environ).not.toContain(workerSecret);
      expect(one.environ).not.toContain('TROUPE_BROWSER_PROBE_KEY');
      expect(one.passwd).toMatch(/^troupe:x:1000:/m);
      expect(one.passwd).not.toMatch(/^root:/m);
      expect(one.seesHostFiles, one.pid).toBe(false);
    }
  }, 120_000);
});
