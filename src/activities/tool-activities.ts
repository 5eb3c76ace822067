import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { activityInfo, Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { describeIssues, fromZodIssue } from '../engine/spec-validation';
import { NoopToolInput, ShellToolInput, ToolName } from '../engine/spec';
import { inlineBlobs, offloadLarge, type BlobStore } from './blob-store';
import { SandboxUnavailable } from '../tools/sandbox';
import { sandboxPath } from '../tools/sandbox-mounts';
import { sandboxSettings } from '../tools/sandbox-settings';
import { stepEnv } from '../tools/step-identity';
import { envTooLarge, runShell } from './shell-tool';
import { createBlobActivities } from './blob-activities';
import { runFolderName, runWorkspace } from './workspace';

export type ToolCall = {
  stepId: string;
  tool: ToolName;
  args: unknown;
  /** When the spec sets retry, a failing command is retried; otherwise it fails the step at once. */
  retryFailures?: boolean;
  /** The item's index, for a foreach step. */
  index?: number;
  /** True when the call is a step's compensation. */
  compensation?: boolean;
  /**
   * Strings in the output longer than this go to the blob store too (below the worker's threshold): a
   * foreach item uses a small bound, so the step's list of outputs stays small however many items.
   */
  offloadAboveBytes?: number;
  /** The run whose workspace the call uses, when the calling workflow is not the run (a foreach batch). */
  runId?: string;
};
export type ToolResult = { output: unknown; attempt: number };

export type ToolDeps = {
  dataDir: string;
  blobs: BlobStore;
  /** Strings in an output larger than this go to the blob store and travel as references. */
  blobThresholdBytes?: number;
  maxOutputBytes?: number;
};

type Heartbeat = { elapsedMs: number; outputBytes: number; checkpoint?: string };

/** Built-in tool steps, run in the run's workspace. */
export const createToolActivities = ({
  dataDir,
  blobs,
  blobThresholdBytes = 128 * 1024,
  maxOutputBytes = 64 * 1024 * 1024,
}: ToolDeps) => ({
  ...createBlobActivities(blobs, blobThresholdBytes),
  async runTool({
    stepId,
    tool,
    args,
    retryFailures = false,
    index,
    compensation,
    offloadAboveBytes,
    runId: forRun,
  }: ToolCall): Promise<ToolResult> {
    const info = activityInfo();
    const fail = (type: string, message: string, nonRetryable = true) =>
      ApplicationFailure.create({ type, message, nonRetryable, details: [{ attempt: info.attempt }] });
    const resolvedArgs = await inlineBlobs(args, blobs);
    const finish = async (output: unknown): Promise<ToolResult> => ({
      output: await offloadLarge(output, blobs, Math.min(blobThresholdBytes, offloadAboveBytes ?? Infinity)),
      attempt: info.attempt,
    });

    if (tool === ToolName.Noop) return finish(NoopToolInput.parse(resolvedArgs ?? {}));
    if (tool !== ToolName.Shell)
      throw fail('UnknownTool', `step "${stepId}" asks for unknown tool "${String(tool)}"`);
    const parsed = ShellToolInput.safeParse(resolvedArgs);
    if (!parsed.success) {
      const issues = parsed.error.issues.flatMap(fromZodIssue);
      throw fail(
        'InvalidToolInput',
        `step "${stepId}" gave the shell tool bad input:\n${describeIssues(issues, ['with'])}`,
      );
    }
    const tooLarge = envTooLarge(parsed.data.env);
    if (tooLarge) throw fail('InvalidToolInput', `step "${stepId}": ${tooLarge}`);
    const runId = forRun ?? info.workflowExecution?.workflowId;
    if (!runId) throw fail('NotInRun', `step "${stepId}" ran outside a workflow, so it has no run workspace`);
    const cwd = await runWorkspace(dataDir, runId);
    const checkpointFile = await prepareCheckpoint(
      dataDir,
      runId,
      stepId,
      info.heartbeatDetails as Heartbeat | undefined,
    );
    // Unconfined, the script sees the host's files where they are.
    const sandboxCheckpoint = sandboxSettings().TROUPE_SANDBOX === 'off' ? checkpointFile : checkpointPath;
    const context = Context.current();
    const result = await runShell(parsed.data, {
      cwd,
      baseEnv: {
        PATH: sandboxPath,
        HOME: cwd,
        LANG: 'C.UTF-8',
        ...stepEnv({ runId, stepId, index, attempt: info.attempt, compensation }),
        TROUPE_CHECKPOINT_FILE: sandboxCheckpoint,
      },
      files: [{ host: checkpointFile, at: checkpointPath }],
      signal: context.cancellationSignal,
      timeoutMs: info.startToCloseTimeoutMs,
      maxOutputBytes,
      onProgress: (progress) => {
        void readFile(checkpointFile, 'utf8')
          .catch(() => '')
          .then((checkpoint) =>
            context.heartbeat({ ...progress, ...(checkpoint && { checkpoint }) } satisfies Heartbeat),
          );
      },
    }).catch((err: unknown) => {
      if (err instanceof SandboxUnavailable)
        throw fail('SandboxUnavailable', `step "${stepId}": ${err.message}`);
      throw err;
    });
    if (context.cancellationSignal.aborted) throw context.cancellationSignal.reason;
    if (result.exitCode !== 0) {
      const stderr = result.stderr.trim().split('\n').slice(-5).join('\n');
      throw fail(
        'CommandFailed',
        `the command exited with code ${result.exitCode}${stderr ? `: ${stderr}` : ''}`,
        !retryFailures,
      );
    }
    return finish(result);
  },
});

/** Where a script finds its checkpoint file inside the sandbox. */
const checkpointPath = '/run/troupe/checkpoint';

/**
 * A long command saves its progress by writing to $TROUPE_CHECKPOINT_FILE; the activity heartbeats it,
 * and a retry after a worker crash finds the last heartbeat's checkpoint in the file again.
 */
async function prepareCheckpoint(
  dataDir: string,
  runId: string,
  stepId: string,
  last: Heartbeat | undefined,
) {
  const dir = join(dataDir, 'checkpoints', runFolderName(runId));
  await mkdir(dir, { recursive: true });
  const file = join(dir, stepId);
  await writeFile(file, last?.checkpoint ?? '');
  return file;
}
