import { execFile } from 'node:child_process';
import { chmod, cp, mkdir, mkdtemp, realpath } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { MockActivityEnvironment } from '@temporalio/testing';
import { defaultRepos } from '../../src/tools/sandbox-settings';
import { ToolSettings, type ToolContext, type ToolSettingsInput } from '../../src/tools/tool-kit';

const run = promisify(execFile);

/** The agents config/agents ships, sorted by id. */
export const shippedAgents = [
  'architecture-advisor',
  'browser',
  'code-generator',
  'debugger',
  'deploy',
  'docs-writer',
  'performance-optimizer',
  'planner',
  'reviewer',
  'security-reviewer',
  'summarizer',
  'tester',
];

export const sampleRepoFixture = fileURLToPath(new URL('../fixtures/sample-repo', import.meta.url));

/**
 * Where sampleRepo() puts its copies: a folder in TROUPE_REPOS, so runs may name them as `repo`.
 * Set at import, before any worker reads it; the sample repo of the fixtures stays allowed.
 */
export const sampleReposRoot = join(tmpdir(), 'troupe-sample-repos');
process.env.TROUPE_REPOS = [...defaultRepos, sampleReposRoot].join(':');

/** The host's git, which runs as the tests' user in repos a root worker's sandbox user owns. */
export const hostGitEnv = {
  GIT_CONFIG_COUNT: '1',
  GIT_CONFIG_KEY_0: 'safe.directory',
  GIT_CONFIG_VALUE_0: '*',
};

const gitEnv = {
  ...process.env,
  ...hostGitEnv,
  GIT_AUTHOR_NAME: 'Test',
  GIT_AUTHOR_EMAIL: 'test@example.invalid',
  GIT_COMMITTER_NAME: 'Test',
  GIT_COMMITTER_EMAIL: 'test@example.invalid',
};

export async function gitIn(dir: string, ...args: string[]): Promise<string> {
  const { stdout } = await run('git', args, { cwd: dir, env: gitEnv });
  return stdout.trim();
}

/** A copy of tests/fixtures/sample-repo as a git repo with one commit, in a fresh temp folder. */
export async function sampleRepo(): Promise<string> {
  await mkdir(sampleReposRoot, { recursive: true, mode: 0o755 });
  const dir = await realpath(await mkdtemp(join(sampleReposRoot, 'sample-')));
  await chmod(dir, 0o755);
  await cp(sampleRepoFixture, dir, { recursive: true });
  await gitIn(dir, 'init', '--quiet', '--initial-branch=main');
  await gitIn(dir, 'add', '--all');
  await gitIn(dir, 'commit', '--quiet', '-m', 'initial');
  return dir;
}

/** A tool context on a fresh empty folder (or the one given). */
export async function toolContext(
  root?: string,
  settings: ToolSettingsInput = {},
  signal = new AbortController().signal,
): Promise<ToolContext> {
  const dir = root ?? (await realpath(await mkdtemp(join(tmpdir(), 'troupe-tools-'))));
  return {
    root: dir,
    signal,
    settings: ToolSettings.parse(settings),
    artifactsDir: await mkdtemp(join(tmpdir(), 'troupe-artifacts-')),
  };
}

/** Runs an activity in a MockActivityEnvironment keeping its result type (the SDK's run infers unknown). */
export function runActivity<A extends unknown[], R>(
  env: MockActivityEnvironment,
  fn: (...args: A) => Promise<R>,
  ...args: A
): Promise<R> {
  return env.run<A, R, (...args: A) => Promise<R>>(fn, ...args);
}
