import { mkdir, realpath, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { ApplicationFailure } from '@temporalio/common';
import { z } from 'zod';
import { defuseFilters, hardenedGitEnv } from '../tools/git-safety';
import { runConfined, SandboxUnavailable, type ConfinedResult } from '../tools/sandbox';
import { inside, sandboxPath } from '../tools/sandbox-mounts';
import { sandboxSettings } from '../tools/sandbox-settings';
import { runWorkspacePath } from './workspace';
import { recordWorkspaceRun } from './workspace-retention';

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
  PATH: sandboxPath,
  LANG: 'C.UTF-8',
  GIT_AUTHOR_NAME: 'Troupe',
  GIT_AUTHOR_EMAIL: 'troupe@troupe.invalid',
  GIT_COMMITTER_NAME: 'Troupe',
  GIT_COMMITTER_EMAIL: 'troupe@troupe.invalid',
};

const failure = (message: string, type = 'WorkspaceGitFailed') =>
  ApplicationFailure.create({ type, message, nonRetryable: true });

async function confined(dir: string, argv: string[], env: Record<string, string>): Promise<ConfinedResult> {
  try {
    return await runConfined({
      argv,
      workspace: dir,
      env: { ...gitEnv, HOME: dir, ...env },
      timeoutMs: 5 * 60_000,
      maxOutputBytes: 64 * 1024 * 1024,
    });
  } catch (err) {
    if (err instanceof SandboxUnavailable) throw failure(err.message, 'SandboxUnavailable');
    throw err;
  }
}

/**
 * Runs a git script (`sh -c`, its arguments as $1…) in the workspace's sandbox, with the config a
 * command may have planted in .git defused: no hooks, no fsmonitor, no filter drivers, no transport.
 */
async function git(dir: string, script: string, args: string[] = [], options: { cloneFrom?: string } = {}) {
  const env = hardenedGitEnv(false);
  if (options.cloneFrom) Object.assign(env, extraConfig(env, 'protocol.file.allow', 'always'));
  const argv = ['/bin/sh', '-c', `${defuseFilters}set -e\n${script}`, 'git-script', ...args];
  const result = await oneAtATime(dir, async () => {
    // Another process's git (an agent worker of its own) may hold the index for a moment.
    for (let attempt = 1; ; attempt += 1) {
      const answer = await confined(dir, argv, env);
      if (answer.exitCode === 0 || attempt >= INDEX_LOCK_TRIES || !indexLocked(answer.stderr)) return answer;
      await new Promise((resolve) => setTimeout(resolve, 100 * attempt));
    }
  });
  if (result.exitCode !== 0) {
    throw failure(
      `git in the workspace ${dir} failed (exit code ${result.exitCode}): ${result.stderr.trim()}`,
    );
  }
  return result.stdout.trim();
}

/**
 * Git scripts in one workspace run one after another: parallel steps of a run share its workspace, and
 * two snapshots at once would both take the index's lock (`index.lock': File exists`).
 */
function oneAtATime<T>(dir: string, work: () => Promise<T>): Promise<T> {
  const earlier = gitQueue.get(dir) ?? Promise.resolve();
  const mine = earlier.catch(() => undefined).then(work);
  const settled = mine.then(
    () => undefined,
    () => undefined,
  );
  gitQueue.set(dir, settled);
  void settled.then(() => {
    if (gitQueue.get(dir) === settled) gitQueue.delete(dir);
  });
  return mine;
}

const gitQueue = new Map<string, Promise<void>>();

/** How often a script that found the index locked by another process is run again. */
const INDEX_LOCK_TRIES = 5;

const indexLocked = (stderr: string) => /index\.lock': File exists/.test(stderr);

/** One more command-line config entry on top of hardenedGitEnv's. */
function extraConfig(env: Record<string, string>, key: string, value: string): Record<string, string> {
  const index = Number(env.GIT_CONFIG_COUNT ?? 0);
  return {
    GIT_CONFIG_COUNT: String(index + 1),
    [`GIT_CONFIG_KEY_${index}`]: key,
    [`GIT_CONFIG_VALUE_${index}`]: value,
  };
}

/** The git tree of every file in the folder (ignored ones too), written with a throwaway index. */
const treeScript = `tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
GIT_INDEX_FILE="$tmp/index" git add --all --force .
GIT_INDEX_FILE="$tmp/index" git write-tree`;

/** Git hands the source side a cleared environment, so it gets its ownership exception itself. */
const cloneCommand =
  'git clone --quiet --no-hardlinks --upload-pack "git -c safe.directory=\\* upload-pack" -- "$1" .';

/** A repo a run may work in: inside a folder of TROUPE_REPOS, and a git repo. */
async function allowedRepo(repo: string): Promise<string> {
  const allowed = sandboxSettings().TROUPE_REPOS;
  const real = await realpath(repo).catch(() => {
    throw failure(`the repo "${repo}" does not exist`, 'RepoNotFound');
  });
  const roots = await Promise.all(allowed.map((dir) => realpath(dir).catch(() => dir)));
  if (!roots.some((root) => inside(root, real))) {
    throw failure(
      `the repo "${repo}" is not inside a folder named in TROUPE_REPOS (${allowed.join(':')}); add its folder there`,
      'RepoNotAllowed',
    );
  }
  return real;
}

/**
 * Makes the folder a run works in: a fresh git repo under `<dataDir>/workspaces/<runId>`, or, when
 * the user names a repo (inside TROUPE_REPOS), a clone of it there, so their repo is never touched:
 * not its checkout, not its refs, not its config.
 */
export async function prepareWorkspace(options: {
  dataDir: string;
  runId: string;
  repo?: string | undefined;
}): Promise<string> {
  // Parallel agents of one run (a collaborate step's team) start together: one of them creates the
  // workspace while the others wait for it, rather than racing `git init` or a clone into one folder.
  const dir = runWorkspacePath(options.dataDir, options.runId);
  const earlier = preparing.get(dir) ?? Promise.resolve('');
  const ready = earlier.catch(() => '').then(() => createWorkspace(dir, options));
  preparing.set(dir, ready);
  try {
    return await ready;
  } finally {
    if (preparing.get(dir) === ready) preparing.delete(dir);
  }
}

const preparing = new Map<string, Promise<string>>();

async function createWorkspace(
  dir: string,
  { dataDir, runId, repo }: { dataDir: string; runId: string; repo?: string | undefined },
): Promise<string> {
  const exists = await stat(join(dir, '.git')).then(
    () => true,
    () => false,
  );
  if (!exists) {
    const source = repo && (await allowedRepo(repo));
    await mkdir(dir, { recursive: true, mode: 0o700 });
    await recordWorkspaceRun(dataDir, runId);
    const root = await realpath(dir);
    if (source) {
      await git(root, `${cloneCommand}\ngit remote remove origin`, [source], {
        cloneFrom: source,
      });
    } else {
      await git(root, 'git init --quiet --initial-branch=main');
    }
  }
  return realpath(dir);
}

/** Records the workspace exactly as it is, before a step that may change it. */
export async function snapshotWorkspace(dir: string, label = 'snapshot'): Promise<WorkspaceSnapshot> {
  const safeLabel = label.replace(/[^A-Za-z0-9_.-]/g, '-');
  const out = await git(
    dir,
    `tree=$(${treeScript})
index=$(git write-tree)
head=$(git rev-parse --verify --quiet HEAD || true)
branch=$(git symbolic-ref --quiet HEAD || true)
commit=$(git commit-tree "$tree" -m "troupe $1")
ref="refs/troupe/snapshots/$1-$(printf %.12s "$commit")"
git update-ref "$ref" "$commit"
printf '%s\\n' "$ref" "$tree" "$index" "$head" "$branch"`,
    [safeLabel],
  );
  const [ref = '', tree = '', index = '', head = '', branch = ''] = out.split('\n');
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
  return git(dir, treeScript);
}

/**
 * Puts the folder back to the snapshot byte for byte: changed files rewritten, deleted ones back,
 * new ones (ignored ones too) removed; then HEAD, the branch and the index as they were.
 */
export async function restoreWorkspace(dir: string, snapshot: WorkspaceSnapshot): Promise<void> {
  const { tree, index, head = '', branch = '' } = WorkspaceSnapshot.parse(snapshot);
  await git(
    dir,
    `tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
GIT_INDEX_FILE="$tmp/index" git read-tree "$1"
GIT_INDEX_FILE="$tmp/index" git clean -d -x --force --force --quiet
GIT_INDEX_FILE="$tmp/index" git checkout-index --all --force
if [ -n "$4" ]; then
  if [ -n "$3" ]; then git update-ref "$4" "$3"; else git update-ref -d "$4"; fi
  git symbolic-ref HEAD "$4"
elif [ -n "$3" ]; then
  git update-ref --no-deref HEAD "$3"
fi
git read-tree "$2"`,
    [tree, index, head, branch],
  );
}
