import { z } from 'zod';
import { runProgram } from './command-runner';
import { defineTool, ToolError } from './tool-kit';
import { resolveInWorkspace } from './workspace-path';

/** Runs an allowlisted program in the workspace; no shell, so no pipes, globs or `&&`. */
export const runCommandTool = defineTool({
  name: 'run_command',
  description:
    'Run one program with arguments in the workspace (no shell: no pipes, globs, redirects or &&). ' +
    'Only allowlisted programs run; there is no network, a timeout and an output cap.',
  args: z.strictObject({
    program: z.string().min(1).describe('the program name, e.g. "node"; no path'),
    args: z.array(z.string()).max(100).default([]),
    cwd: z.string().min(1).default('.').describe('a folder relative to the workspace'),
    timeoutMs: z.int().positive().optional(),
  }),
  mutates: true,
  async run({ program, args, cwd, timeoutMs }, context) {
    const allow = context.settings.commandAllowlist;
    if (program.includes('/') || !allow.includes(program)) {
      throw new ToolError(
        'command-allowlist',
        `run_command: "${program}" is not an allowed program (rule command-allowlist); allowed: ${allow.join(', ')}`,
      );
    }
    const dir = await resolveInWorkspace(context.root, cwd);
    const limit = Math.min(timeoutMs ?? context.settings.commandTimeoutMs, context.settings.commandTimeoutMs);
    return runProgram([program, ...args], context, { cwd: dir, timeoutMs: limit });
  },
});
