import { mkdir, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import { z } from 'zod';
import { runFolderName } from './workspace';

/** Remembers which run a workspace folder belongs to, since a folder name may be a hash of the id. */
export async function recordWorkspaceRun(dataDir: string, runId: string): Promise<void> {
  const dir = join(dataDir, 'workspace-runs');
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, runFolderName(runId)), runId);
}

const units = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

/** TROUPE_WORKSPACE_RETENTION: `7d`, `12h`, `30m`, `45s`, or `forever`; 7 days when unset. */
export const Retention = z
  .string()
  .default('7d')
  .transform((value, ctx) => {
    if (value === 'forever') return Infinity;
    const match = /^(\d+)([smhd])$/.exec(value.trim());
    if (!match) {
      ctx.addIssue({ code: 'custom', message: 'give a number with s, m, h or d (e.g. 7d), or forever' });
      return z.NEVER;
    }
    return Number(match[1]) * units[match[2] as keyof typeof units];
  });

export function workspaceRetentionMs(env: NodeJS.ProcessEnv = process.env): number {
  const parsed = Retention.safeParse(env.TROUPE_WORKSPACE_RETENTION);
  if (parsed.success) return parsed.data;
  throw new Error(
    `TROUPE_WORKSPACE_RETENTION=${JSON.stringify(env.TROUPE_WORKSPACE_RETENTION)}: ${parsed.error.issues[0]?.message}`,
  );
}

/**
 * Deletes the workspaces (their snapshot refs with them), checkpoints and artefacts of runs that
 * closed more than `retentionMs` ago. A run Temporal no longer knows goes once its folder has been
 * untouched that long; a running or paused run keeps everything. Answers the run ids removed.
 */
export async function sweepWorkspaces({
  dataDir,
  client,
  retentionMs,
  now = new Date(),
}: {
  dataDir: string;
  client: Client;
  retentionMs: number;
  now?: Date;
}): Promise<string[]> {
  if (!Number.isFinite(retentionMs)) return [];
  const root = join(dataDir, 'workspaces');
  const folders = await readdir(root).catch(() => [] as string[]);
  const removed: string[] = [];
  for (const folder of folders) {
    const sidecar = join(dataDir, 'workspace-runs', folder);
    const runId = (await readFile(sidecar, 'utf8').catch(() => '')) || folder;
    const closedAt = await closeTime(client, runId, join(root, folder));
    if (!closedAt || now.getTime() - closedAt.getTime() < retentionMs) continue;
    for (const path of [
      join(root, folder),
      join(dataDir, 'checkpoints', folder),
      join(dataDir, 'artifacts', folder),
      sidecar,
    ]) {
      await rm(path, { recursive: true, force: true });
    }
    removed.push(runId);
  }
  return removed;
}

/** When the run closed; for a run Temporal does not know, when its folder last changed. */
async function closeTime(client: Client, runId: string, folder: string): Promise<Date | undefined> {
  try {
    const description = await client.workflow.getHandle(runId).describe();
    return description.status.name === 'RUNNING' ? undefined : (description.closeTime ?? undefined);
  } catch (err) {
    if (!(err instanceof WorkflowNotFoundError)) return undefined;
    return (await stat(folder).catch(() => undefined))?.mtime;
  }
}

/** Sweeps now and then (every hour, or more often for a short retention) until stopped. */
export function startWorkspaceSweeper(options: { dataDir: string; client: Client; retentionMs: number }): {
  stop(): void;
} {
  if (!Number.isFinite(options.retentionMs)) return { stop: () => undefined };
  const every = Math.max(1_000, Math.min(3_600_000, options.retentionMs / 2));
  const sweep = () =>
    void sweepWorkspaces(options).catch((err: Error) =>
      console.warn(`worker: the workspace sweep failed: ${err.message}`),
    );
  const timer = setInterval(sweep, every);
  timer.unref();
  sweep();
  return { stop: () => clearInterval(timer) };
}
