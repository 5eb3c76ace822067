import { z } from 'zod';
import { runProgram, type ProgramResult } from './command-runner';
import { hardenedGitArgv, hardenedGitEnv } from './git-safety';
import { defineTool, ToolError, type ToolContext } from './tool-kit';
import { resolveInWorkspace } from './workspace-path';

const identity = {
  GIT_AUTHOR_NAME: 'Troupe agent',
  GIT_AUTHOR_EMAIL: 'agent@troupe.invalid',
  GIT_COMMITTER_NAME: 'Troupe agent',
  GIT_COMMITTER_EMAIL: 'agent@troupe.invalid',
};

/**
 * Runs the system git in the workspace's sandbox, hardened against what a command may have planted
 * in .git (hooks, fsmonitor, filter drivers); a failing git call becomes a tool error naming it.
 */
export async function git(context: ToolContext, args: string[]): Promise<ProgramResult> {
  const network = context.settings.commandNetwork;
  const env = { ...identity, ...hardenedGitEnv(network) };
  const result = await runProgram(hardenedGitArgv(args), context, { env, network });
  if (result.exitCode !== 0) {
    throw new ToolError(
      'git-failed',
      `git ${args.join(' ')} exited ${result.exitCode}: ${result.stderr.trim()}`,
    );
  }
  return result;
}

const BranchName = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9._/-]{0,99}$/, 'a branch name has letters, digits, . _ / and -')
  .refine((name) => !name.includes('..'), 'a branch name cannot contain ".."');

export const gitStatusTool = defineTool({
  name: 'git_status',
  description: 'Show the workspace git status (short format, with the branch).',
  args: z.strictObject({}),
  mutates: false,
  async run(_args, context) {
    const { stdout } = await git(context, ['status', '--short', '--branch', '--untracked-files=all']);
    return { status: stdout };
  },
});

export const gitDiffTool = defineTool({
  name: 'git_diff',
  description:
    'Show the diff of the working tree against HEAD (or of staged changes), optionally for one path.',
  args: z.strictObject({ staged: z.boolean().default(false), path: z.string().min(1).optional() }),
  mutates: false,
  async run({ staged, path }, context) {
    if (path) await resolveInWorkspace(context.root, path);
    const args = [
      'diff',
      '--no-color',
      '--no-ext-diff',
      '--no-textconv',
      ...(staged ? ['--cached'] : []),
      ...(path ? ['--', path] : []),
    ];
    const { stdout, truncated } = await git(context, args);
    return { diff: stdout, ...(truncated && { truncated }) };
  },
});

export const gitCommitTool = defineTool({
  name: 'git_commit',
  description: 'Stage every change in the workspace and commit it with a message.',
  args: z.strictObject({ message: z.string().min(1).max(2_000) }),
  mutates: true,
  async run({ message }, context) {
    await git(context, ['add', '--all']);
    await git(context, ['commit', '--no-verify', '--allow-empty', '-m', message]);
    const { stdout } = await git(context, ['rev-parse', 'HEAD']);
    return { commit: stdout.trim() };
  },
});

export const gitBranchTool = defineTool({
  name: 'git_branch',
  description: 'List branches, or create a branch and switch to it (`create`), keeping local changes.',
  args: z.strictObject({ create: BranchName.optional() }),
  mutates: true,
  async run({ create }, context) {
    if (create) await git(context, ['switch', '-c', create]);
    const { stdout } = await git(context, ['branch', '--list', '--no-color']);
    return { branches: stdout.split('\n').filter(Boolean) };
  },
});

export const gitTools = [gitStatusTool, gitDiffTool, gitCommitTool, gitBranchTool];
