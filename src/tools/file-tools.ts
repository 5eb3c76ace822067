import { mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { z } from 'zod';
import { capText, defineTool, ToolError } from './tool-kit';
import { resolveInWorkspace } from './workspace-path';

const RelPath = z.string().min(1).describe('a path relative to the workspace root');

/** Reads a text file of the workspace, cut at the read cap. */
export const readFileTool = defineTool({
  name: 'read_file',
  description: 'Read a UTF-8 text file of the workspace.',
  args: z.strictObject({ path: RelPath }),
  mutates: false,
  async run({ path }, { root, settings }) {
    const file = await resolveInWorkspace(root, path);
    const info = await stat(file).catch(() => undefined);
    if (!info?.isFile())
      throw new ToolError('not-found', `read_file: "${path}" is not a file in the workspace`);
    const { text, truncated } = capText(await readFile(file, 'utf8'), settings.maxReadBytes);
    return { path, content: text, ...(truncated && { truncated }) };
  },
});

/** Writes (creates or replaces) a file, creating its folders. */
export const writeFileTool = defineTool({
  name: 'write_file',
  description: 'Create or overwrite a UTF-8 text file of the workspace with the given content.',
  args: z.strictObject({ path: RelPath, content: z.string().max(2_000_000) }),
  mutates: true,
  async run({ path, content }, { root }) {
    const file = await resolveInWorkspace(root, path);
    await mkdir(dirname(file), { recursive: true });
    await resolveInWorkspace(root, path);
    await writeFile(file, content, 'utf8');
    return { path, bytes: Buffer.byteLength(content) };
  },
});

const MAX_LISTED = 500;

/** Lists files under a folder (recursively), skipping .git and node_modules. */
export const listFilesTool = defineTool({
  name: 'list_files',
  description: 'List the files under a folder of the workspace (recursive; skips .git and node_modules).',
  args: z.strictObject({ path: RelPath.default('.') }),
  mutates: false,
  async run({ path }, { root }) {
    const dir = await resolveInWorkspace(root, path);
    const files = await walk(root, dir);
    return { path, files: files.slice(0, MAX_LISTED), ...(files.length > MAX_LISTED && { truncated: true }) };
  },
});

/** Finds lines containing a text (or matching a regex) across the workspace's text files. */
export const searchFilesTool = defineTool({
  name: 'search_files',
  description: 'Search the text files under a folder for lines containing `query` (a plain string).',
  args: z.strictObject({ query: z.string().min(1).max(200), path: RelPath.default('.') }),
  mutates: false,
  async run({ query, path }, { root, settings }) {
    const dir = await resolveInWorkspace(root, path);
    const matches: { path: string; line: number; text: string }[] = [];
    let bytes = 0;
    for (const rel of await walk(root, dir)) {
      const info = await stat(join(root, rel));
      if (info.size > settings.maxReadBytes) continue;
      const lines = (await readFile(join(root, rel), 'utf8')).split('\n');
      for (const [index, text] of lines.entries()) {
        if (!text.includes(query)) continue;
        matches.push({ path: rel, line: index + 1, text: text.slice(0, 300) });
        bytes += text.length;
        if (bytes > settings.maxOutputBytes || matches.length >= MAX_LISTED)
          return { matches, truncated: true };
      }
    }
    return { matches };
  },
});

async function walk(root: string, dir: string): Promise<string[]> {
  const out: string[] = [];
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => {
    throw new ToolError('not-found', `"${relative(root, dir) || '.'}" is not a folder in the workspace`);
  });
  for (const entry of entries) {
    if (entry.name === '.git' || entry.name === 'node_modules') continue;
    const full = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await walk(root, full)));
    else if (entry.isFile()) out.push(relative(root, full));
    if (out.length > MAX_LISTED * 4) break;
  }
  return out.sort();
}

export const fileTools = [readFileTool, writeFileTool, listFilesTool, searchFilesTool];
