import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, realpath, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { runWorkspacePath } from './workspace';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ApplicationFailure } from '@temporalio/common';
import { z } from 'zod';

const run = promisify(execFile);

/** What restores a workspace exactly: the tree of every file, plus where HEAD and the index were. */
export const WorkspaceSnapshot = z.strictObject({
  /** A ref under refs/troupe/snapshots/ keeping the snapshot's commit from garbage collection. */
  ref: z.string(),
  /** The git tree of the whole working folder (tracked, untracked and ignored files; not .git). */
  tree: z.string().regex(/^[0-9a-f]{40,64}$/),
  /** The commit HEAD pointed at, absent in a repo with no commits yet. */
  head: z.string().optional(),
  /** The branch HEAD named, absent when detached. */
  branch: z.string().optional(),
  /** The tree of the real index, so staged changes come back staged. */
  index: z.string(),
  takenAt: z.string(),
});
export type WorkspaceSnapshot = z.infer<typeof WorkspaceSnapshot>;

const gitEnv = {
  PATH: process.env.PATH ?? '/usr/bin:/bin',
  HOME: tmpdir(),
  LANG: 'C.UTF-8',
  GIT_CONFIG_NOSYSTEM: '1',
  GIT_CONFIG_GLOBAL: '/dev/null',
  GIT_AUTHOR_NAME: 'Troupe',
  GIT_AUTHOR_EMAIL: 'troupe@troupe.invalid',
  GIT_COMMITTER_NAME: 'Troupe',
  GIT_COMMITTER_EMAIL: 'troupe@troupe.invalid',
};

async function git(dir: string, args: string[], env: Record<string, string> = {}): Promise<string> {
  try {
    const { stdout } = await run(
      'git',
      ['-c', 'core.hooksPath=/dev/null', '-c', 'core.fsmonitor=false', ...args],
      {
        cwd: dir,
        env: { ...gitEnv, ...env },
        maxBuffer: 64 * 1024 * 1024,
      },
    );
    return stdout.trim();
  } catch (err) {
    const stderr = (err as { stderr?: string }).stderr?.trim() ?? String(err);
    throw ApplicationFailure.create({
      type: 'WorkspaceGitFailed',
      message: `git ${args.join(' ')} in ${dir} failed: ${stderr}`,
      nonRetryable: true,
    });
  }
}

/** Runs git with a throwaway index, so snapshots never touch the index the user or an agent uses. */
async function withTemporaryIndex<T>(fn: (env: Record<string, string>) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), 'troupe-index-'));
  try {
    return await fn({ GIT_INDEX_FILE: join(dir, 'index') });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * Makes the folder a run works in: a fresh git repo under `<dataDir>/workspaces/<runId>`, or, when
 * the user names a repo, a detached `git worktree` of it there, so their checkout is never touched.
 */
export async function prepareWorkspace({
  dataDir,
  runId,
  repo,
}: {
  dataDir: string;
  runId: string;
  repo?: string | undefined;
}): Promise<string> {
  const dir = runWorkspacePath(dataDir, runId);
  const exists = await stat(join(dir, '.git')).then(
    () => true,
    () => false,
  );
  if (!exists) {
    if (repo) {
      await mkdir(join(dataDir, 'workspaces'), { recursive: true });
      await git(repo, ['worktree', 'add', '--detach', dir]);
    } else {
      await mkdir(dir, { recursive: true });
      await git(dir, ['init', '--quiet', '--initial-branch=main']);
    }
  }
  return realpath(dir);
}

/** Records the workspace exactly as it is, before a step that may change it. */
export async function snapshotWorkspace(dir: string, label = 'snapshot'): Promise<WorkspaceSnapshot> {
  const tree = await treeOf(dir);
  const index = await git(dir, ['write-tree']);
  const head = await git(dir, ['rev-parse', '--verify', '--quiet', 'HEAD']).catch(() => '');
  const branch = await git(dir, ['symbolic-ref', '--quiet', 'HEAD']).catch(() => '');
  const commit = await git(dir, ['commit-tree', tree, '-m', `troupe ${label}`]);
  const ref = `refs/troupe/snapshots/${label.replace(/[^A-Za-z0-9_.-]/g, '-')}-${commit.slice(0, 12)}`;
  await git(dir, ['update-ref', ref, commit]);
  return {
    ref,
    tree,
    ...(head && { head }),
    ...(branch && { branch }),
    index,
    takenAt: new Date().toISOString(),
  };
}

/** The git tree of every file in the folder (ignored ones too), written with a throwaway index. */
export function treeOf(dir: string): Promise<string> {
  return withTemporaryIndex(async (env) => {
    await git(dir, ['add', '--all', '--force', '.'], env);
    return git(dir, ['write-tree'], env);
  });
}

/**
 * Puts the folder back to the snapshot byte for byte: changed files rewritten, deleted ones back,
 * new ones (ignored ones too) removed; then HEAD, the branch and the index as they were.
 */
export async function restoreWorkspace(dir: string, snapshot: WorkspaceSnapshot): Promise<void> {
  await withTemporaryIndex(async (env) => {
    await git(dir, ['read-tree', snapshot.tree], env);
    await git(dir, ['clean', '-d', '-x', '--force', '--force', '--quiet'], env);
    await git(dir, ['checkout-index', '--all', '--force'], env);
  });
  if (snapshot.branch) {
    if (snapshot.head) await git(dir, ['update-ref', snapshot.branch, snapshot.head]);
    else await git(dir, ['update-ref', '-d', snapshot.branch]);
    await git(dir, ['symbolic-ref', 'HEAD', snapshot.branch]);
  } else if (snapshot.head) {
    await git(dir, ['update-ref', '--no-deref', 'HEAD', snapshot.head]);
  }
  await git(dir, ['read-tree', snapshot.index]);
}
