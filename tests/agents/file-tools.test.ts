import { mkdir, readFile, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { listFilesTool, readFileTool, searchFilesTool, writeFileTool } from '../../src/tools/file-tools';
import { invokeTool, toolSpec } from '../../src/tools/tool-kit';
import { toolContext } from './helpers';

describe('file tools', () => {
  it('writes, reads, lists and searches files inside the workspace', async () => {
    const context = await toolContext();
    const wrote = await invokeTool(
      writeFileTool,
      { path: 'src/a.js', content: 'export const a = 1;\n' },
      context,
    );
    expect(wrote).toEqual({ ok: true, output: { path: 'src/a.js', bytes: 20 } });
    expect(await invokeTool(readFileTool, { path: 'src/a.js' }, context)).toEqual({
      ok: true,
      output: { path: 'src/a.js', content: 'export const a = 1;\n' },
    });
    expect(await invokeTool(listFilesTool, {}, context)).toEqual({
      ok: true,
      output: { path: '.', files: ['src/a.js'] },
    });
    expect(await invokeTool(searchFilesTool, { query: 'const a' }, context)).toEqual({
      ok: true,
      output: { matches: [{ path: 'src/a.js', line: 1, text: 'export const a = 1;' }] },
    });
  });

  it('refuses a ../ escape, naming the path and the rule', async () => {
    const context = await toolContext();
    const outcome = await invokeTool(readFileTool, { path: '../../etc/passwd' }, context);
    expect(outcome).toEqual({
      ok: false,
      error: expect.stringMatching(/refused path "\.\.\/\.\.\/etc\/passwd".*no-parent-escape/) as string,
    });
  });

  it('refuses absolute paths for reads and writes', async () => {
    const context = await toolContext();
    const read = await invokeTool(readFileTool, { path: '/etc/passwd' }, context);
    const write = await invokeTool(writeFileTool, { path: '/tmp/evil.txt', content: 'x' }, context);
    expect(read).toMatchObject({ ok: false, error: expect.stringContaining('no-absolute-paths') as string });
    expect(write).toMatchObject({ ok: false, error: expect.stringContaining('no-absolute-paths') as string });
  });

  it('refuses to read or write through a symlink that leads out of the workspace', async () => {
    const outside = await toolContext();
    await writeFile(join(outside.root, 'secret.txt'), 'top secret');
    const context = await toolContext();
    await symlink(outside.root, join(context.root, 'link'));
    await symlink(join(outside.root, 'secret.txt'), join(context.root, 'secret-link.txt'));
    const viaDir = await invokeTool(readFileTool, { path: 'link/secret.txt' }, context);
    const viaFile = await invokeTool(readFileTool, { path: 'secret-link.txt' }, context);
    const writeVia = await invokeTool(writeFileTool, { path: 'link/new.txt', content: 'x' }, context);
    for (const outcome of [viaDir, viaFile, writeVia]) {
      expect(outcome).toMatchObject({
        ok: false,
        error: expect.stringContaining('no-symlink-escape') as string,
      });
    }
    await expect(readFile(join(outside.root, 'new.txt'))).rejects.toThrow(/ENOENT/);
  });

  it('refuses to write through a dangling symlink that points out of the workspace', async () => {
    const outside = await toolContext();
    const context = await toolContext();
    await symlink(join(outside.root, 'planted.txt'), join(context.root, 'dangling.txt'));
    const outcome = await invokeTool(writeFileTool, { path: 'dangling.txt', content: 'x' }, context);
    expect(outcome).toMatchObject({
      ok: false,
      error: expect.stringContaining('no-symlink-escape') as string,
    });
    await expect(readFile(join(outside.root, 'planted.txt'))).rejects.toThrow(/ENOENT/);
  });

  it('follows a symlink that stays inside the workspace', async () => {
    const context = await toolContext();
    await mkdir(join(context.root, 'real'));
    await writeFile(join(context.root, 'real', 'f.txt'), 'inside');
    await symlink(join(context.root, 'real'), join(context.root, 'alias'));
    expect(await invokeTool(readFileTool, { path: 'alias/f.txt' }, context)).toMatchObject({
      ok: true,
      output: { content: 'inside' },
    });
  });

  it('refuses to touch the .git folder', async () => {
    const context = await toolContext();
    const outcome = await invokeTool(writeFileTool, { path: '.git/hooks/pre-commit', content: 'x' }, context);
    expect(outcome).toMatchObject({
      ok: false,
      error: expect.stringContaining('no-git-internals') as string,
    });
  });

  it('cuts a huge file at the read cap and says so', async () => {
    const context = await toolContext(undefined, { maxReadBytes: 1024 });
    await writeFile(join(context.root, 'big.txt'), 'x'.repeat(1_000_000));
    const outcome = await invokeTool(readFileTool, { path: 'big.txt' }, context);
    expect(outcome.ok).toBe(true);
    const output = (outcome as { output: { content: string; truncated: boolean } }).output;
    expect(output.truncated).toBe(true);
    expect(output.content.length).toBeLessThan(1200);
    expect(output.content).toContain('cut at 1024 of 1000000 bytes');
  });

  it('answers bad arguments with the zod problem instead of throwing', async () => {
    const context = await toolContext();
    const outcome = await invokeTool(writeFileTool, { path: 'a.txt' }, context);
    expect(outcome).toEqual({ ok: false, error: expect.stringContaining('content') as string });
  });

  it('describes its arguments to the model as a JSON schema made from zod', () => {
    expect(toolSpec(writeFileTool)).toMatchObject({
      name: 'write_file',
      parameters: { type: 'object', required: ['path', 'content'] },
    });
  });
});
