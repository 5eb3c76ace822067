import { createHash } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { recordWorkspaceRun } from './workspace-retention';

/**
 * The folder name for a run: the run id itself when it is a safe name, otherwise the id with unsafe
 * characters turned into `-` and a short hash of the real id, so that Temporal's scheduled run ids
 * (`name-…-2026-11-22T10:52:00Z`) get a folder and two ids never share one.
 */
export function runFolderName(runId: string): string {
  if (/^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(runId) && !runId.includes('..')) return runId;
  const readable = runId
    .replace(/[^A-Za-z0-9_-]+/g, '-')
    .replace(/^-+/, '')
    .slice(0, 120);
  return `${readable || 'run'}-${createHash('sha256').update(runId).digest('hex').slice(0, 8)}`;
}

/** Where a run works: `<dataDir>/workspaces/<folder>`. */
export function runWorkspacePath(dataDir: string, runId: string): string {
  return join(dataDir, 'workspaces', runFolderName(runId));
}

/** The folder a run works in, created on first use (only its owner may look in). */
export async function runWorkspace(dataDir: string, runId: string): Promise<string> {
  const path = runWorkspacePath(dataDir, runId);
  await mkdir(path, { recursive: true, mode: 0o700 });
  await recordWorkspaceRun(dataDir, runId);
  return path;
}
