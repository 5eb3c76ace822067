import { join } from 'node:path';
import { z } from 'zod';
import { isLive, readStatusFiles } from '../status-files';

export const PartStatus = z.object({
  name: z.string(),
  state: z.enum(['starting', 'running', 'restarting', 'given-up']),
  pid: z.number().int().optional(),
  restarts: z.number().int(),
  lastCause: z.string().optional(),
  lastRestartAt: z.string().optional(),
});
export type PartStatus = z.infer<typeof PartStatus>;

/** What `npm start`'s supervisor publishes for the API: each part's state and restarts. */
export const SupervisorStatus = z.object({
  host: z.string(),
  pid: z.number().int(),
  updatedAt: z.string(),
  parts: z.array(PartStatus),
});
export type SupervisorStatus = z.infer<typeof SupervisorStatus>;

export const supervisorStatusDir = (dataDir: string) => join(dataDir, 'supervisor', 'status');

/** The parts of the supervisors still running that share this data dir (none without `npm start`). */
export async function readSupervisedParts(dataDir: string): Promise<PartStatus[]> {
  const files = await readStatusFiles(supervisorStatusDir(dataDir), SupervisorStatus);
  return files.filter((file) => isLive(file)).flatMap((file) => file.parts);
}

/** Restarts per part, for /healthz, /readyz and /metrics. */
export async function restartCounts(dataDir: string): Promise<Record<string, number>> {
  const parts = await readSupervisedParts(dataDir);
  return Object.fromEntries(parts.map((part) => [part.name, part.restarts]));
}
