import { chmod, mkdir, mkdtemp, realpath } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { runCommandTool } from '../../src/tools/command-tool';
import { runConfined, SandboxUnavailable, sandboxStartNote } from '../../src/tools/sandbox';
import { invokeTool } from '../../src/tools/tool-kit';
import { toolContext } from '../agents/helpers';

let unreadable: string;

beforeAll(async () => {
  // A folder the sandbox must show but cannot reach: bwrap fails to start, as it does without
  // user namespaces, so every command must be refused.
  unreadable = await realpath(await mkdtemp(join(tmpdir(), 'troupe-unreadable-')));
  await mkdir(join(unreadable, 'inner'));
  await chmod(unreadable, 0o000);
  process.env.TROUPE_SANDBOX_READONLY = join(unreadable, 'inner');
});

afterAll(async () => {
  delete process.env.TROUPE_SANDBOX_READONLY;
  delete process.env.TROUPE_SANDBOX;
  await chmod(unreadable, 0o700);
});

it('refuses every command, saying why and what to do, when the sandbox cannot start', async () => {
  const context = await toolContext();
  const command = { argv: ['true'], workspace: context.root, env: {}, timeoutMs: 5_000, maxOutputBytes: 100 };
  const refused = await runConfined(command).catch((err: unknown) => err);
  expect(refused).toBeInstanceOf(SandboxUnavailable);
  expect((refused as Error).message).toMatch(/cannot start here: .+TROUPE_SANDBOX=off/);
  expect(await invokeTool(runCommandTool, { program: 'true' }, context)).toMatchObject({
    ok: false,
    error: expect.stringContaining('the command sandbox (bubblewrap) cannot start here') as string,
  });
  expect(await sandboxStartNote()).toMatch(/^sandbox: WARNING: commands will be refused/);
});

it('runs commands unconfined only when TROUPE_SANDBOX=off says so, and every result says it', async () => {
  process.env.TROUPE_SANDBOX = 'off';
  const context = await toolContext();
  const result = await invokeTool(runCommandTool, { program: 'echo', args: ['hi'] }, context);
  expect(result).toMatchObject({ ok: true, output: { exitCode: 0, stdout: 'hi\n', unconfined: true } });
  expect(await sandboxStartNote()).toMatch(/^sandbox: WARNING: TROUPE_SANDBOX=off/);
});
