import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeModelServer, type FakeModelServer } from '../../src/fake-models/server';
import { isClosed, postJson, waitForRun, type Api } from '../helpers/harness';
import { startStack, type Stack } from '../helpers/stack';
import { shippedCatalogueOn, shippedModels } from '../models/helpers';

// Read by the in-process worker at each command, so these hold for every command of this file.
process.env.TROUPE_SANDBOX_PROCESSES = '64';
process.env.TROUPE_SANDBOX_MEMORY_MB = '256';
/** Stands for a provider key: it is in the worker's environment, and must be nowhere a command can see. */
const workerSecret = 'sk-worker-secret-5f1c2e';
process.env.TROUPE_ATTACK_PROBE_KEY = workerSecret;

let stack: Stack;
let api: Api;
let fake: FakeModelServer;
let listener: Server;
let listenerPort: number;
const connections: string[] = [];

beforeAll(async () => {
  listener = createServer((req, res) => {
    connections.push(req.url ?? '');
    res.end('reached');
  });
  await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
  listenerPort = (listener.address() as AddressInfo).port;
  fake = await startFakeModelServer({ script: { models: shippedModels, replies: [] } });
  stack = await startStack('sandbox attacks', { agents: true, models: shippedCatalogueOn(fake).runtime });
  ({ api } = stack);
}, 120_000);

afterAll(async () => {
  await stack?.stop();
  await fake?.close();
  await new Promise((resolve) => listener?.close(resolve));
});

type ShellOutput = { stdout: string; stderr: string; exitCode: number; unconfined?: true };

/** Runs one shell step as its own run and answers its output. */
async function shell(run: string, env: Record<string, string> = {}): Promise<ShellOutput> {
  const response = await postJson(`${api.baseUrl}/api/runs`, {
    spec: { name: 'attack', steps: [{ id: 'attack', kind: 'tool', tool: 'shell', with: { run, env } }] },
  });
  expect(response.status, JSON.stringify(response.body)).toBe(201);
  const result = await waitForRun(api, response.body.runId as string, isClosed, 60_000);
  expect(result.status, result.error).toBe('completed');
  const output = result.steps[0]?.output as ShellOutput;
  expect(output.unconfined).toBeUndefined();
  return output;
}

const workspaces = () => join(api.config.TROUPE_DATA_DIR, 'workspaces');

describe('a shell step', () => {
  it('sees the sandbox’s /etc/passwd, with no host user in it', async () => {
    const host = await readFile('/etc/passwd', 'utf8');
    expect(host).toMatch(/^root:/m);
    const { stdout } = await shell('cat /etc/passwd');
    expect(stdout).toMatch(/^troupe:x:1000:1000:/m);
    expect(stdout).not.toMatch(/^root:/m);
    const hostOnly = host.split('\n').filter((line) => line && !line.startsWith('nobody:'));
    for (const line of hostOnly) expect(stdout).not.toContain(line);
  });

  it('cannot read another run’s workspace, nor list the workspaces', async () => {
    const other = join(workspaces(), 'other-run');
    await mkdir(other, { recursive: true });
    await writeFile(join(other, 'secret.txt'), 'the other run’s secret');
    const { stdout } = await shell(
      'cat "$OTHER/secret.txt" 2>&1 || echo "read refused"; echo listing; ls "$(dirname "$PWD")"; echo "self $(basename "$PWD")"',
      { OTHER: other },
    );
    expect(stdout).toMatch(/secret.txt: No such file or directory\nread refused\n/);
    expect(stdout).not.toContain('the other run’s secret');
    const listing = stdout.split('listing\n')[1]?.trim().split('\n') ?? [];
    expect(listing).toEqual([listing[0], `self ${listing[0]}`]);
  });

  it('cannot read /proc/1/environ or the worker’s environ', async () => {
    const { stdout } = await shell(
      [
        'cat /proc/1/environ 2>&1; echo "pid1 exit $?"',
        'cat "/proc/$WORKER/environ" 2>&1; echo "worker exit $?"',
        'cat /proc/*/environ 2>/dev/null | tr "\\0" "\\n" | grep -c PROBE_KEY || true',
      ].join('\n'),
      { WORKER: String(process.pid) },
    );
    expect(stdout).toMatch(/\/proc\/1\/environ: Permission denied\npid1 exit 1/);
    expect(stdout).toMatch(
      new RegExp(`/proc/${process.pid}/environ: No such file or directory\\nworker exit 1`),
    );
    expect(stdout).not.toContain(workerSecret);
    expect(stdout.trim().split('\n').at(-1)).toBe('0');
  });

  it('writes only its workspace on the host: /tmp is its own, the system is read-only', async () => {
    const marker = `troupe-escape-${process.pid}`;
    const { stdout } = await shell(
      [
        `echo x > /tmp/${marker} && echo "tmp ok"`,
        '(echo x > /usr/escape) 2>&1 || echo "usr refused"',
        '(echo x > /escape) 2>&1 || echo "root refused"',
        // The data folder's path may exist in the sandbox (its /tmp), but never as the host's.
        `echo x > "$DATA/${marker}" 2>/dev/null; echo x > "$DATA/../${marker}" 2>/dev/null`,
        'echo x > inside.txt && echo "workspace ok"',
      ].join('\n'),
      { DATA: api.config.TROUPE_DATA_DIR },
    );
    expect(stdout).toContain('tmp ok');
    expect(stdout).toMatch(/\/usr\/escape: Read-only file system\nusr refused/);
    expect(stdout).toMatch(/\/escape: Read-only file system\nroot refused/);
    expect(stdout).toContain('workspace ok');
    expect(existsSync(`/tmp/${marker}`)).toBe(false);
    expect(existsSync(join(api.config.TROUPE_DATA_DIR, marker))).toBe(false);
    expect(existsSync(join(api.config.TROUPE_DATA_DIR, '..', marker))).toBe(false);
  });

  it('opens no network connection when the step does not allow the network', async () => {
    const before = connections.length;
    const { stdout } = await shell(
      `node -e 'fetch("http://127.0.0.1:${listenerPort}/from-sandbox").then(() => console.log("reached"), (e) => console.log("refused", e.cause?.code))'`,
    );
    expect(stdout).toBe('refused ECONNREFUSED\n');
    expect(connections.length).toBe(before);
  });

  it('stops a fork bomb at the process limit, and a memory hog at the memory limit', async () => {
    const { stdout } = await shell(
      [
        // The limit the kernel holds the sandbox to, read by the shell itself (no fork) from its own limits.
        'while read -r line; do case "$line" in "Max processes"*) echo "$line";; esac; done < /proc/self/limits',
        // Counts the sandbox's processes without forking, since the bomb leaves no room to fork.
        `node -e 'const fs = require("fs"); let most = 0; const end = Date.now() + 3000;`,
        `  while (Date.now() < end) most = Math.max(most, fs.readdirSync("/proc").filter((n) => /^[0-9]+$/.test(n)).length);`,
        `  fs.writeFileSync("most", String(most))' & watcher=$!`,
        'sleep 0.5',
        "setsid sh -c 'bomb() { bomb | bomb & }; bomb' >/dev/null 2>bomb.err & bomb=$!",
        'wait $watcher',
        'kill -9 -$bomb',
        'read most < most',
        'echo "processes $most"',
        'echo "fork refused $(grep -c -i "cannot fork" bomb.err)"',
        `node -e 'const kept = []; for (;;) kept.push(Buffer.alloc(16e6, 1));' 2>hog.err`,
        'echo "hog exit $?"',
        'echo "hog refused $(grep -c -i "out of memory\\|allocation failed" hog.err)"',
      ].join('\n'),
    );
    const processes = Number(/processes (\d+)/.exec(stdout)?.[1]);
    expect(stdout).toMatch(/^Max processes +64 +64 +processes$/m);
    expect(processes, stdout).toBeGreaterThan(20);
    // /proc is read one entry at a time while the bomb forks and reaps, so a count can take in processes that
    // never lived at once; an unbounded bomb reaches thousands in these 3 s, so twice the limit still tells.
    expect(processes).toBeLessThan(128);
    expect(stdout).toMatch(/fork refused [1-9]/);
    expect(stdout).toMatch(/hog exit [1-9]/);
    expect(stdout).toMatch(/hog refused [1-9]/);
  }, 60_000);
});

describe('an agent command', () => {
  it('meets the same walls: no host users, no environ, no other workspace, no network, no writes outside', async () => {
    const other = join(workspaces(), 'other-run-of-agent');
    await mkdir(other, { recursive: true });
    await writeFile(join(other, 'secret.txt'), 'agent must not see this');
    const probe = `
      const fs = require('fs');
      const attempt = (what) => { try { return String(what()); } catch (e) { return 'refused ' + e.code; } };
      const found = {
        passwd: attempt(() => fs.readFileSync('/etc/passwd', 'utf8')),
        pid1: attempt(() => fs.readFileSync('/proc/1/environ', 'utf8')),
        worker: attempt(() => fs.readFileSync('/proc/${process.pid}/environ', 'utf8')),
        other: attempt(() => fs.readFileSync(${JSON.stringify(join(other, 'secret.txt'))}, 'utf8')),
        outside: attempt(() => fs.writeFileSync('/usr/agent-escape', 'x')),
      };
      fetch('http://127.0.0.1:${listenerPort}/from-agent').then(() => 'reached', (e) => 'refused ' + e.cause?.code)
        .then((network) => fs.writeFileSync('probe.json', JSON.stringify({ ...found, network })));
    `;
    fake.setScript({
      models: shippedModels,
      replies: [
        {
          match: { agent: 'debugger', prompt: '[probe turn 1]' },
          toolCalls: [{ name: 'run_command', arguments: { program: 'node', args: ['-e', probe] } }],
        },
        {
          match: { agent: 'debugger', prompt: '[probe turn 2]' },
          json: { rootCause: 'none', fix: 'none', filesChanged: [], testsPass: true },
        },
      ],
    });
    const before = connections.length;
    const response = await postJson(`${api.baseUrl}/api/runs`, {
      spec: {
        name: 'agent-attack',
        steps: [{ id: 'probe', kind: 'agent', agent: 'debugger', with: { task: 'Look around.' } }],
      },
    });
    const runId = response.body.runId as string;
    const result = await waitForRun(api, runId, isClosed, 90_000);
    expect(result.status, result.error).toBe('completed');
    const calls = (result.steps[0]?.output as { toolCalls: unknown[] }).toolCalls;
    expect(calls).toEqual([{ tool: 'run_command', ok: true }]);
    const found = JSON.parse(await readFile(join(workspaces(), runId, 'probe.json'), 'utf8')) as Record<
      string,
      string
    >;
    expect(found.passwd).toMatch(/^troupe:x:1000/);
    expect(found.passwd).not.toMatch(/^root:/m);
    expect(found.pid1).toBe('refused EACCES');
    expect(found.worker).toBe('refused ENOENT');
    expect(found.other).toBe('refused ENOENT');
    expect(found.outside).toBe('refused EROFS');
    expect(found.network).toBe('refused ECONNREFUSED');
    expect(JSON.stringify(found)).not.toContain(workerSecret);
    expect(connections.length).toBe(before);
  }, 120_000);
});

describe('git', () => {
  it('runs no filter or textconv a command planted in .git/config, in snapshots or the git tools', async () => {
    const plant = [
      'git init --quiet',
      "git config filter.evil.clean 'touch filter-ran; cat'",
      "git config filter.evil.smudge 'touch filter-ran; cat'",
      'git config filter.evil.required true',
      "git config diff.evil.textconv 'touch textconv-ran; cat'",
      "printf '* filter=evil diff=evil\\n' > .gitattributes",
      'echo data > file.txt',
    ].join('\n');
    fake.setScript({
      models: shippedModels,
      replies: [
        {
          match: { agent: 'debugger', prompt: '[write turn 1]' },
          toolCalls: [
            { name: 'write_file', arguments: { path: 'file.txt', content: 'changed' } },
            { name: 'git_diff', arguments: {} },
          ],
        },
        {
          match: { agent: 'debugger', prompt: '[write turn 2]' },
          json: { rootCause: 'none', fix: 'changed file.txt', filesChanged: ['file.txt'], testsPass: true },
        },
      ],
    });
    const response = await postJson(`${api.baseUrl}/api/runs`, {
      spec: {
        name: 'planted-filter',
        steps: [
          { id: 'plant', kind: 'tool', tool: 'shell', with: { run: plant } },
          {
            id: 'write',
            kind: 'agent',
            agent: 'debugger',
            dependsOn: ['plant'],
            with: { task: 'Change a file and look at the diff.' },
          },
        ],
      },
    });
    const runId = response.body.runId as string;
    const result = await waitForRun(api, runId, isClosed, 90_000);
    expect(result.status, result.error).toBe('completed');
    const calls = (result.steps[1]?.output as { toolCalls: { ok: boolean }[] }).toolCalls;
    expect(calls.map((call) => call.ok)).toEqual([true, true]);
    const workspace = join(workspaces(), runId);
    expect(await readFile(join(workspace, 'file.txt'), 'utf8')).toBe('changed');
    expect(existsSync(join(workspace, 'filter-ran'))).toBe(false);
    expect(existsSync(join(workspace, 'textconv-ran'))).toBe(false);
  }, 120_000);
});
