import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bundleWorkflows, WORKFLOW_BUNDLE_ENV } from './temporal';

/**
 * Bundles Troupe's workflows once for the whole run: each test file's workers load this bundle instead
 * of building their own (a webpack build of several seconds per file).
 */
export default async function setup(): Promise<() => Promise<void>> {
  // Both node projects name this setup: the first builds the bundle, the second finds it.
  if (process.env[WORKFLOW_BUNDLE_ENV]) return () => Promise.resolve();
  const dir = await mkdtemp(join(tmpdir(), 'troupe-bundle-'));
  const path = join(dir, 'workflows.js');
  await writeFile(path, (await bundleWorkflows()).code);
  process.env[WORKFLOW_BUNDLE_ENV] = path;
  return async () => {
    delete process.env[WORKFLOW_BUNDLE_ENV];
    await rm(dir, { recursive: true, force: true });
  };
}
