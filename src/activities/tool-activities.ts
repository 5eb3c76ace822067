import { activityInfo, Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { fromZodIssue, describeIssues } from '../engine/spec-validation';
import { ShellToolInput, ToolName } from '../engine/spec';
import { runShell } from './shell-tool';
import { runWorkspace } from './workspace';

export type ToolCall = { stepId: string; tool: ToolName; args: unknown };
export type ToolResult = { output: unknown; attempt: number };

export type ToolDeps = { dataDir: string; maxOutputBytes?: number };

/** Built-in tool steps, run in the run's workspace. */
export const createToolActivities = ({ dataDir, maxOutputBytes = 1024 * 1024 }: ToolDeps) => ({
  async runTool({ stepId, tool, args }: ToolCall): Promise<ToolResult> {
    const info = activityInfo();
    const fail = (type: string, message: string) =>
      ApplicationFailure.create({ type, message, nonRetryable: true, details: [{ attempt: info.attempt }] });
    if (tool !== ToolName.Shell)
      throw fail('UnknownTool', `step "${stepId}" asks for unknown tool "${String(tool)}"`);
    const parsed = ShellToolInput.safeParse(args);
    if (!parsed.success) {
      const issues = parsed.error.issues.flatMap(fromZodIssue);
      throw fail(
        'InvalidToolInput',
        `step "${stepId}" gave the shell tool bad input:\n${describeIssues(issues, ['with'])}`,
      );
    }
    const runId = info.workflowExecution?.workflowId;
    if (!runId) throw fail('NotInRun', `step "${stepId}" ran outside a workflow, so it has no run workspace`);
    const cwd = await runWorkspace(dataDir, runId);
    const context = Context.current();
    const result = await runShell(parsed.data, {
      cwd,
      baseEnv: {
        PATH: process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin',
        HOME: cwd,
        LANG: 'C.UTF-8',
        TROUPE_RUN_ID: runId,
        TROUPE_STEP_ID: stepId,
      },
      signal: context.cancellationSignal,
      maxOutputBytes,
      onProgress: (progress) => context.heartbeat(progress),
    });
    if (context.cancellationSignal.aborted) throw context.cancellationSignal.reason;
    if (result.exitCode !== 0) {
      const stderr = result.stderr.trim().split('\n').slice(-5).join('\n');
      throw fail(
        'CommandFailed',
        `the command exited with code ${result.exitCode}${stderr ? `: ${stderr}` : ''}`,
      );
    }
    return { output: result, attempt: info.attempt };
  },
});
