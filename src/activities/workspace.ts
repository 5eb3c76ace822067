import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { ApplicationFailure } from '@temporalio/common';

const SAFE_RUN_ID = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;

/** The folder a run works in, created on first use. Run ids name folders, so odd ones are refused. */
export async function runWorkspace(dataDir: string, runId: string): Promise<string> {
  if (!SAFE_RUN_ID.test(runId) || runId.includes('..')) {
    throw ApplicationFailure.create({
      type: 'InvalidRunId',
      message: `run id "${runId}" cannot name a workspace folder: use letters, digits, _, . and -`,
      nonRetryable: true,
    });
  }
  const path = join(dataDir, 'workspaces', runId);
  await mkdir(path, { recursive: true });
  return path;
}
