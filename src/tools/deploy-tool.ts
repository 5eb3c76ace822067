import { z } from 'zod';
import { runProgram, type ProgramResult } from './command-runner';
import { defineTool, ToolError, type ToolContext } from './tool-kit';

/** Runs the operator's deploy or rollback command; the model chooses when, never what. */
export async function runDeployCommand(
  context: ToolContext,
  which: 'command' | 'rollback',
): Promise<ProgramResult & { command: string[] }> {
  const deploy = context.settings.deploy;
  if (!deploy) {
    throw new ToolError(
      'no-deploy-config',
      `deploy: no deploy ${which} is configured (tool settings deploy.${which})`,
    );
  }
  const command = deploy[which];
  const result = await runProgram(command, context, { network: true });
  return { ...result, command };
}

export const deployTool = defineTool({
  name: 'deploy',
  description:
    'Run the configured deploy command in the workspace. Takes no arguments; returns its exit code and output.',
  args: z.strictObject({}),
  mutates: true,
  async run(_args, context) {
    const result = await runDeployCommand(context, 'command');
    return { deployed: result.exitCode === 0, ...result };
  },
});

export const deployTools = [deployTool];
