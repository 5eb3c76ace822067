import type { DataConverter } from '@temporalio/common';
import { type NativeConnection, Worker } from '@temporalio/worker';
import type { ModelActivities } from '../activities/model-activities';
import { modelQueues, type Catalogue, type ModelQueue } from '../models/catalogue';
import { currentTracing, type Tracing, tracingWorkerOptions } from '../observability/tracing';

export type ModelPoolsOptions = {
  connection: NativeConnection;
  namespace: string;
  dataConverter: DataConverter;
  catalogue: Catalogue;
  /** One set for every pool, so they share this process's breakers, health cache and ledger. */
  activities: ModelActivities;
  /** Which queues to serve; all of them by default (a pool process serves only its own). */
  only?: (queue: ModelQueue) => boolean;
  /** Each model call's activity span joins its run's trace. */
  tracing?: Tracing;
};

export type ModelPools = {
  workers: { queue: ModelQueue; worker: Worker }[];
  /** Runs every pool until shutdown; rejects if any pool fails. */
  run(): Promise<void>;
  shutdown(): void;
};

/**
 * One activity-only worker per model task queue. Temporal then enforces each provider's limits:
 * maxConcurrentActivityTaskExecutions per worker process, maxTaskQueueActivitiesPerSecond across
 * every worker on the queue.
 */
export async function createModelPools({
  connection,
  namespace,
  dataConverter,
  catalogue,
  activities,
  only = () => true,
  tracing = currentTracing(),
}: ModelPoolsOptions): Promise<ModelPools> {
  const { activity } = tracingWorkerOptions(tracing).interceptors;
  const workers = await Promise.all(
    modelQueues(catalogue)
      .filter(only)
      .map(async (queue) => ({
        queue,
        worker: await Worker.create({
          connection,
          namespace,
          dataConverter,
          taskQueue: queue.taskQueue,
          activities: { callModel: activities.callModel },
          interceptors: { activity },
          maxConcurrentActivityTaskExecutions: queue.limits.concurrency,
          ...(queue.limits.requestsPerSecond !== undefined && {
            maxTaskQueueActivitiesPerSecond: queue.limits.requestsPerSecond,
          }),
        }),
      })),
  );
  const shutdown = () => {
    for (const { worker } of workers) {
      if (worker.getState() === 'RUNNING') worker.shutdown();
    }
  };
  return {
    workers,
    run: async () => {
      await Promise.all(
        workers.map(({ worker }) =>
          worker.run().catch((err: unknown) => {
            shutdown();
            throw err;
          }),
        ),
      );
    },
    shutdown,
  };
}
