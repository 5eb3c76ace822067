import { z } from 'zod';
import { runProgram, type ProgramResult } from './command-runner';
import { defineTool, ToolError, type ToolContext } from './tool-kit';
import { resolveInWorkspace } from './workspace-path';

const identity = {
  GIT_AUTHOR_NAME: 'Troupe agent',
  GIT_AUTHOR_EMAIL: 'agent@troupe.invalid',
  GIT_COMMITTER_NAME: 'Troupe agent',
  GIT_COMMITTER_EMAIL: 'agent@troupe.invalid',
  GIT_CONFIG_NOSYSTEM: '1',
  GIT_CONFIG_GLOBAL: '/dev/null',
  GIT_TERMINAL_PROMPT: '0',
};

/** No hooks and no fsmonitor: a file an agent wrote must not become a program git runs. */
const hardening = ['-c', 'core.hooksPath=/dev/null', '-c', 'core.fsmonitor=false'];

/** Runs the system git in the workspace; a failing git call becomes a tool error naming the command. */
export async function git(context: ToolContext, args: string[]): Promise<ProgramResult> {
  const result = await runProgram(['git', ...hardening, ...args], context, { env: identity, network: true });
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
