import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type NativeConnection, Worker, type WorkerOptions } from '@temporalio/worker';
import { DiskBlobStore } from '../activities/blob-store';
import { createToolActivities } from '../activities/tool-activities';

export const workflowsPath = fileURLToPath(new URL('../workflows/index.ts', import.meta.url));

export type TroupeWorkerOptions = {
  connection: NativeConnection;
  namespace: string;
  taskQueue: string;
  dataDir: string;
  /** A prebuilt bundle; tests build one per file and share it between workers. */
  workflowBundle?: WorkerOptions['workflowBundle'];
};

/** A worker for the run workflow and the built-in tools. Later pools add their own task queues. */
export function createTroupeWorker({
  connection,
  namespace,
  taskQueue,
  dataDir,
  workflowBundle,
}: TroupeWorkerOptions) {
  return Worker.create({
    connection,
    namespace,
    taskQueue,
    // Heartbeats reach the server within a second, so a cancellation reaches a running step as fast.
    maxHeartbeatThrottleInterval: '1 second',
    ...(workflowBundle ? { workflowBundle } : { workflowsPath }),
    activities: createToolActivities({ dataDir, blobs: new DiskBlobStore(join(dataDir, 'blobs')) }),
  });
}
