import { mkdir, stat, symlink, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCommandTool } from '../../src/tools/command-tool';
import { deployTool } from '../../src/tools/deploy-tool';
import { gitBranchTool, gitCommitTool, gitDiffTool, gitStatusTool } from '../../src/tools/git-tools';
import { httpFetchTool } from '../../src/tools/http-tools';
import { detectTestFramework, runTestsTool, TestFramework } from '../../src/tools/test-runner-tool';
import { invokeTool } from '../../src/tools/tool-kit';
import { sampleRepo, toolContext } from './helpers';

type Output = Record<string, unknown>;
const output = (outcome: Awaited<ReturnType<typeof invokeTool>>): Output => {
  if (!outcome.ok) throw new Error(`expected ok, got ${outcome.error}`);
  return outcome.output as Output;
};

let server: Server;
let port: number;
beforeAll(async () => {
  server = createServer((req, res) => {
    if (req.url === '/redirect-out') {
      res.writeHead(302, { location: 'http://example.com/' }).end();
      return;
    }
    res.writeHead(200, { 'content-type': 'text/plain' }).end(`hello from ${req.url}`);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

describe('run_command', () => {
  it('runs an allowlisted program in the workspace with a scrubbed environment', async () => {
    const context = await toolContext();
    process.env.TROUPE_TEST_SECRET = 'do-not-leak';
    const result = output(
      await invokeTool(
        runCommandTool,
        {
          program: 'node',
          args: ['-e', 'console.log(process.cwd(), process.env.TROUPE_TEST_SECRET ?? "none")'],
        },
        context,
      ),
    );
    delete process.env.TROUPE_TEST_SECRET;
    expect(result).toMatchObject({ exitCode: 0, stdout: `${context.root} none\n` });
  });

  it('refuses a program that is not on the allowlist, or given by path', async () => {
    const context = await toolContext();
    for (const program of ['rm', '/bin/sh', '../node']) {
      const outcome = await invokeTool(runCommandTool, { program, args: ['-rf', '.'] }, context);
      expect(outcome).toMatchObject({
        ok: false,
        error: expect.stringContaining('command-allowlist') as string,
      });
    }
  });

  it('refuses a working folder outside the workspace', async () => {
    const context = await toolContext();
    const outcome = await invokeTool(runCommandTool, { program: 'ls', cwd: '../..' }, context);
    expect(outcome).toMatchObject({
      ok: false,
      error: expect.stringContaining('no-parent-escape') as string,
    });
  });

  it('kills a hanging command at its timeout, child processes included', async () => {
    const context = await toolContext(undefined, { commandTimeoutMs: 500 });
    const started = Date.now();
    const result = output(
      await invokeTool(
        runCommandTool,
        {
          program: 'node',
          args: [
            '-e',
            'require("child_process").spawn("sleep",["30"],{stdio:"inherit"}); setInterval(()=>{},1000)',
          ],
        },
        context,
      ),
    );
    expect(result.timedOut).toBe(true);
    expect(result.stderr).toContain('killed after 500 ms');
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('caps a huge output', async () => {
    const context = await toolContext(undefined, { maxOutputBytes: 1000 });
    const result = output(
      await invokeTool(
        runCommandTool,
        { program: 'node', args: ['-e', 'process.stdout.write("y".repeat(5e6))'] },
        context,
      ),
    );
    expect(result.truncated).toBe(true);
    expect((result.stdout as string).length).toBe(1000);
  });

  it('gives commands no network', async () => {
    const context = await toolContext();
    const script = `fetch("http://127.0.0.1:${port}/").then(()=>console.log("reached"),()=>console.log("blocked"))`;
    const result = output(
      await invokeTool(runCommandTool, { program: 'node', args: ['-e', script] }, context),
    );
    expect(result.stdout).toBe('blocked\n');
    expect(['namespace', 'proxy-env-only']).toContain(result.network);
  });

  it('stops a command when the activity is cancelled', async () => {
    const controller = new AbortController();
    const context = await toolContext(undefined, {}, controller.signal);
    setTimeout(() => controller.abort(new Error('cancelled')), 300);
    const pending = invokeTool(
      runCommandTool,
      { program: 'node', args: ['-e', 'setInterval(()=>{},1000)'] },
      context,
    );
    await expect(pending).rejects.toThrow('cancelled');
  });
});

describe('git tools', () => {
  it('shows status and diff, commits, and creates a branch', async () => {
    const context = await toolContext(await sampleRepo());
    await writeFile(join(context.root, 'src', 'math.js'), 'export const add = (a, b) => a + b;\n');
    expect(output(await invokeTool(gitStatusTool, {}, context)).status).toContain(' M src/math.js');
    expect(output(await invokeTool(gitDiffTool, {}, context)).diff).toContain('+export const add');
    const commit = output(await invokeTool(gitCommitTool, { message: 'simplify add' }, context));
    expect(commit.commit).toMatch(/^[0-9a-f]{40}$/);
    const branches = output(await invokeTool(gitBranchTool, { create: 'feature/x' }, context));
    expect(branches.branches).toContain('* feature/x');
  });

  it('runs no hook an agent could have planted', async () => {
    const context = await toolContext(await sampleRepo());
    const hook = join(context.root, '.git', 'hooks', 'post-commit');
    await writeFile(hook, '#!/bin/sh\ntouch hook-ran\n', { mode: 0o755 });
    await writeFile(join(context.root, 'new.txt'), 'x');
    expect((await invokeTool(gitCommitTool, { message: 'add new' }, context)).ok).toBe(true);
    await expect(stat(join(context.root, 'hook-ran'))).rejects.toThrow(/ENOENT/);
  });

  it('refuses branch names that could be options or escapes', async () => {
    const context = await toolContext(await sampleRepo());
    for (const create of ['--force', 'a..b']) {
      expect((await invokeTool(gitBranchTool, { create }, context)).ok).toBe(false);
    }
  });
});

describe('run_tests', () => {
  it('detects npm test and reports a failing suite as not passed', async () => {
    const context = await toolContext(await sampleRepo());
    expect(await detectTestFramework(context.root)).toBe(TestFramework.Npm);
    const result = output(await invokeTool(runTestsTool, {}, context));
    expect(result).toMatchObject({ framework: 'npm-test', passed: false });
    expect(result.stdout).toContain('multiply multiplies');
  });

  it('detects vitest and pytest projects', async () => {
    const vitest = await toolContext();
    await writeFile(join(vitest.root, 'package.json'), JSON.stringify({ devDependencies: { vitest: '4' } }));
    await mkdir(join(vitest.root, 'node_modules', '.bin'), { recursive: true });
    await symlink('/bin/true', join(vitest.root, 'node_modules', '.bin', 'vitest'));
    expect(await detectTestFramework(vitest.root)).toBe(TestFramework.Vitest);
    const pytest = await toolContext();
    await writeFile(join(pytest.root, 'pytest.ini'), '[pytest]\n');
    expect(await detectTestFramework(pytest.root)).toBe(TestFramework.Pytest);
  });

  it('says so when there is nothing to test', async () => {
    const context = await toolContext();
    expect(await invokeTool(runTestsTool, {}, context)).toMatchObject({
      ok: false,
      error: expect.stringContaining('found no package.json test script') as string,
    });
  });
});

describe('http_fetch', () => {
  it('fetches from an allowlisted host', async () => {
    const context = await toolContext(undefined, { httpAllowHosts: [`127.0.0.1:${port}`] });
    const result = output(await invokeTool(httpFetchTool, { url: `http://127.0.0.1:${port}/ping` }, context));
    expect(result).toMatchObject({ status: 200, body: 'hello from /ping' });
  });

  it('refuses hosts off the allowlist, other schemes, and redirects that leave the allowlist', async () => {
    const context = await toolContext(undefined, { httpAllowHosts: [`127.0.0.1:${port}`] });
    const cases = [
      ['http://example.com/', 'host-allowlist'],
      ['file:///etc/passwd', 'http-only'],
      [`http://127.0.0.1:${port}/redirect-out`, 'host-allowlist'],
    ] as const;
    for (const [url, rule] of cases) {
      expect(await invokeTool(httpFetchTool, { url }, context)).toMatchObject({
        ok: false,
        error: expect.stringContaining(rule) as string,
      });
    }
  });
});

describe('deploy', () => {
  it('runs only the configured deploy command', async () => {
    const context = await toolContext(undefined, {
      deploy: { command: ['node', '-e', 'console.log("deployed v1")'], rollback: ['node', '-e', '0'] },
    });
    expect(output(await invokeTool(deployTool, {}, context))).toMatchObject({
      deployed: true,
      stdout: 'deployed v1\n',
    });
  });

  it('refuses to deploy when no command is configured', async () => {
    const context = await toolContext();
    expect(await invokeTool(deployTool, {}, context)).toMatchObject({
      ok: false,
      error: expect.stringContaining('no deploy command is configured') as string,
    });
  });
});
