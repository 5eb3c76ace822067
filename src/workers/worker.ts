import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type NativeConnection, Worker, type WorkerOptions } from '@temporalio/worker';
import { DiskBlobStore } from '../activities/blob-store';
import { createModelActivities } from '../activities/model-activities';
import { createToolActivities } from '../activities/tool-activities';
import type { ModelRuntime } from '../models/model-runtime';
import { createModelPools, type ModelPools } from './model-pools';

export const workflowsPath = fileURLToPath(new URL('../workflows/index.ts', import.meta.url));

export type TroupeWorkerOptions = {
  connection: NativeConnection;
  namespace: string;
  taskQueue: string;
  dataDir: string;
  /** A prebuilt bundle; tests build one per file and share it between workers. */
  workflowBundle?: WorkerOptions['workflowBundle'];
  /** The process's model runtime; with one, the worker also runs a pool per model provider. */
  models?: ModelRuntime;
};

export type TroupeWorkers = {
  main: Worker;
  pools: ModelPools | undefined;
  run(): Promise<void>;
  shutdown(): void;
};

/**
 * The workers of one process: the orchestration worker (run workflows, built-in tools, model routing)
 * on the main task queue, and one activity-only pool per model provider, whose limits Temporal enforces.
 */
export async function createTroupeWorkers({
  connection,
  namespace,
  taskQueue,
  dataDir,
  workflowBundle,
  models,
}: TroupeWorkerOptions): Promise<TroupeWorkers> {
  const modelActivities = models && createModelActivities({ runtime: models });
  const main = await Worker.create({
    connection,
    namespace,
    taskQueue,
    // Heartbeats reach the server within a second, so a cancellation reaches a running step as fast.
    maxHeartbeatThrottleInterval: '1 second',
    ...(workflowBundle ? { workflowBundle } : { workflowsPath }),
    activities: {
      ...createToolActivities({ dataDir, blobs: new DiskBlobStore(join(dataDir, 'blobs')) }),
      ...(modelActivities && { planModelRoute: modelActivities.planModelRoute }),
    },
  });
  const pools =
    models && modelActivities
      ? await createModelPools({
          connection,
          namespace,
          catalogue: models.catalogue,
          activities: modelActivities,
        })
      : undefined;
  const shutdown = () => {
    if (main.getState() === 'RUNNING') main.shutdown();
    pools?.shutdown();
  };
  return {
    main,
    pools,
    shutdown,
    run: async () => {
      await Promise.all([
        main.run(),
        pools?.run().catch((err: unknown) => {
          shutdown();
          throw err;
        }),
      ]);
    },
  };
}
