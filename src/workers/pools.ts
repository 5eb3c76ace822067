import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { z } from 'zod';
import { fromZodIssue, describeIssues } from '../engine/spec-validation';

/** The pools a worker process can serve. Temporal routes each kind of work to its pool's task queues. */
export const PoolName = {
  Orchestration: 'orchestration',
  Tools: 'tools',
  Agents: 'agents',
  LocalModels: 'local-models',
  CloudModels: 'cloud-models',
} as const;
export type PoolName = (typeof PoolName)[keyof typeof PoolName];
export const allPools = Object.values(PoolName);

const Size = z.int().min(1).max(10_000);
export const PoolsConfig = z.strictObject({
  pools: z
    .strictObject({
      [PoolName.Orchestration]: z.strictObject({
        workflowTasks: Size.optional(),
        cachedWorkflows: Size.optional(),
      }),
      [PoolName.Tools]: z.strictObject({ activities: Size.optional() }),
      [PoolName.Agents]: z.strictObject({ activities: Size.optional() }),
      [PoolName.LocalModels]: z.strictObject({}),
      [PoolName.CloudModels]: z.strictObject({}),
    })
    .partial(),
});
export type PoolsConfig = z.infer<typeof PoolsConfig>;

const defaultPoolsFile = resolve(dirname(fileURLToPath(import.meta.url)), '../../config/pools.yaml');

/** Reads the pool sizes; a bad file names the field and what is wrong, before any worker starts. */
export function loadPoolsConfig(file = process.env.TROUPE_POOLS_FILE ?? defaultPoolsFile): PoolsConfig {
  let raw: unknown;
  try {
    raw = parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new Error(`cannot read the pools file ${file} (TROUPE_POOLS_FILE): ${(err as Error).message}`);
  }
  const parsed = PoolsConfig.safeParse(raw);
  if (!parsed.success) {
    throw new Error(
      `${file} is not a valid pools file:\n${describeIssues(parsed.error.issues.flatMap(fromZodIssue))}`,
    );
  }
  return parsed.data;
}

/** Parses `--pool a,b` (or TROUPE_POOL) into pool names, naming any it does not know. */
export function parsePools(text: string | undefined): PoolName[] {
  if (!text) return allPools;
  const names = text
    .split(',')
    .map((name) => name.trim())
    .filter(Boolean);
  const unknown = names.filter((name) => !allPools.includes(name as PoolName));
  if (unknown.length > 0) {
    throw new Error(
      `unknown pool ${unknown.map((name) => `"${name}"`).join(', ')}; the pools are ${allPools.join(', ')}`,
    );
  }
  return names as PoolName[];
}
