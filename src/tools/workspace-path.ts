import { lstat, realpath } from 'node:fs/promises';
import { dirname, isAbsolute, join, relative, sep } from 'node:path';
import { ToolError } from './tool-kit';

export const PathRule = {
  Absolute: 'no-absolute-paths',
  Escape: 'no-parent-escape',
  Symlink: 'no-symlink-escape',
  GitDir: 'no-git-internals',
} as const;

function inside(root: string, path: string): boolean {
  const rel = relative(root, path);
  return rel === '' || (!rel.startsWith(`..${sep}`) && rel !== '..' && !isAbsolute(rel));
}

/**
 * Resolves a path a model gave against the workspace root, refusing absolute paths, `..` escapes,
 * symlinks that lead out (checked on the realpath of the deepest existing ancestor) and `.git`.
 * Models make these mistakes, and prompt injection makes them on purpose.
 */
export async function resolveInWorkspace(root: string, path: string): Promise<string> {
  const refuse = (rule: string, why: string) =>
    new ToolError(
      rule,
      `refused path "${path}": ${why} (rule ${rule}); give a path relative to the workspace`,
    );
  if (path.includes('\0')) throw refuse(PathRule.Escape, 'it contains a NUL byte');
  if (isAbsolute(path) || /^[A-Za-z]:[\\/]/.test(path)) throw refuse(PathRule.Absolute, 'it is absolute');
  const target = join(root, path);
  if (!inside(root, target)) throw refuse(PathRule.Escape, 'it leads outside the workspace');
  const rel = relative(root, target);
  if (rel.split(sep)[0] === '.git') throw refuse(PathRule.GitDir, 'the .git folder is not for tools');
  let existing = target;
  for (;;) {
    const stat = await lstat(existing).catch(() => undefined);
    if (stat) break;
    const parent = dirname(existing);
    if (parent === existing) break;
    existing = parent;
  }
  const real = await realpath(existing).catch(() => {
    throw refuse(PathRule.Symlink, 'it is a symlink whose target does not exist, so it cannot be checked');
  });
  if (!inside(root, real)) {
    throw refuse(PathRule.Symlink, `it goes through a symlink to ${real}, outside the workspace`);
  }
  return existing === target ? real : join(real, relative(existing, target));
}
