import { fileURLToPath } from 'node:url';
import { Client } from '@temporalio/client';
import type { DataConverter } from '@temporalio/common';
import { type NativeConnection, Worker, type WorkerOptions } from '@temporalio/worker';
import { blobStoreFor } from '../activities/blob-store';
import { createModelActivities } from '../activities/model-activities';
import { createToolActivities } from '../activities/tool-activities';
import { startWorkspaceSweeper, workspaceRetentionMs } from '../activities/workspace-retention';
import type { ModelRuntime } from '../models/model-runtime';
import { createModelPools } from './model-pools';
import { createAgentActivities } from '../activities/agent-activities';
import { createAgentChoiceActivities } from '../activities/agent-choice-activities';
import { createChatActivities } from '../activities/chat-activities';
import { createOutcomeActivities } from '../activities/outcome-activities';
import { StoreOutcomeStore } from '../learning/outcome-store';
import { storeLocation, storeOf, type TroupeStore } from '../store/store';
import { AgentStatusBoard } from '../agents/agent-status';
import type { AgentRegistry } from '../agents/registry';
import { agentsQueue, toolsQueue } from '../engine/task-queues';
import type { ToolSettings } from '../tools/tool-kit';
import { allPools, PoolName, type PoolsConfig } from './pools';
import { StatusKind, statusStore, type StatusSettings } from '../status-board';
import { publishWorkerSlots } from './worker-slots';
import { currentTracing, type Tracing, tracingWorkerOptions } from '../observability/tracing';
import { workflowBundlerOptions } from './workflow-bundle';

export const workflowsPath = fileURLToPath(new URL('../workflows/index.ts', import.meta.url));

export type TroupeWorkerOptions = {
  connection: NativeConnection;
  namespace: string;
  taskQueue: string;
  dataDir: string;
  /** Troupe's data converter (src/codec): every payload the workers write is encrypted with it. */
  dataConverter: DataConverter;
  /** A prebuilt bundle; tests build one per file and share it between workers. */
  workflowBundle?: WorkerOptions['workflowBundle'];
  /** The process's model runtime; the model pools, model routing and agents need one. */
  models?: ModelRuntime;
  /** The agent registry and tool settings; the agents pool needs them. */
  agents?: { registry: AgentRegistry; tools?: ToolSettings };
  /** The state store (outcome records); default: DATABASE_URL, else SQLite in `dataDir`. */
  store?: TroupeStore;
  /** Which pools this process serves: all of them by default. */
  pools?: PoolName[];
  sizes?: PoolsConfig;
  /** The process's tracing (src/observability/tracing.ts); its interceptors run either way. */
  tracing?: Tracing;
  /** Where agent status and worker slots are published: Redis with REDIS_URL, else `dataDir`'s files. */
  status?: StatusSettings;
};

export type TroupeWorkers = {
  /** Each pool this process serves, with the task queues it polls. */
  served: { pool: PoolName; taskQueues: string[] }[];
  run(): Promise<void>;
  shutdown(): void;
};

/**
 * The workers of one process, one per task queue of each pool it serves: orchestration (run workflows
 * and model routing) on the main queue, tools on `<queue>-tools`, and a queue per model provider,
 * whose limits Temporal enforces. Run one process per pool to scale each on its own.
 */
export async function createTroupeWorkers({
  connection,
  namespace,
  taskQueue,
  dataDir,
  dataConverter,
  workflowBundle,
  models,
  agents,
  store = storeOf(storeLocation(dataDir)),
  pools = allPools,
  sizes = { pools: {} },
  tracing = currentTracing(),
  status: statusSettings = { TROUPE_DATA_DIR: dataDir },
}: TroupeWorkerOptions): Promise<TroupeWorkers> {
  // One store for every pool: model answers, tool outputs and GET /api/blobs share it (<dataDir>/blobs or PostgreSQL).
  const blobs = blobStoreFor(storeLocation(dataDir));
  const outcomes = new StoreOutcomeStore(store);
  const modelActivities = models && createModelActivities({ runtime: models, blobs });
  const workers: Worker[] = [];
  const sweepers: { stop(): void }[] = [];
  const served: TroupeWorkers['served'] = [];
  const base = {
    connection,
    namespace,
    dataConverter,
    // Heartbeats reach the server within a second, so a cancellation reaches a running step as fast.
    maxHeartbeatThrottleInterval: '1 second',
    ...tracingWorkerOptions(tracing),
  } as const;

  if (pools.includes(PoolName.Orchestration)) {
    const size = sizes.pools[PoolName.Orchestration];
    workers.push(
      await Worker.create({
        ...base,
        taskQueue,
        ...(workflowBundle ? { workflowBundle } : { workflowsPath, bundlerOptions: workflowBundlerOptions }),
        ...(size?.workflowTasks && { maxConcurrentWorkflowTaskExecutions: size.workflowTasks }),
        ...(size?.cachedWorkflows && { maxCachedWorkflows: size.cachedWorkflows }),
        activities: {
          ...(modelActivities && { planModelRoute: modelActivities.planModelRoute }),
          ...createOutcomeActivities({ store: outcomes }),
        },
      }),
    );
    served.push({ pool: PoolName.Orchestration, taskQueues: [taskQueue] });
  }
  if (pools.includes(PoolName.Tools)) {
    const size = sizes.pools[PoolName.Tools];
    workers.push(
      await Worker.create({
        ...base,
        taskQueue: toolsQueue(taskQueue),
        ...(size?.activities && { maxConcurrentActivityTaskExecutions: size.activities }),
        activities: createToolActivities({ dataDir, blobs }),
      }),
    );
    served.push({ pool: PoolName.Tools, taskQueues: [toolsQueue(taskQueue)] });
    const retentionMs = workspaceRetentionMs();
    const client = new Client({ connection, namespace, dataConverter });
    sweepers.push(startWorkspaceSweeper({ dataDir, client, retentionMs }));
  }
  if (pools.includes(PoolName.Agents) && models && agents) {
    const size = sizes.pools[PoolName.Agents];
    const status = new AgentStatusBoard(statusStore(StatusKind.Agents, statusSettings));
    workers.push(
      await Worker.create({
        ...base,
        taskQueue: agentsQueue(taskQueue),
        ...(size?.activities && { maxConcurrentActivityTaskExecutions: size.activities }),
        activities: {
          ...createAgentActivities({
            runtime: models,
            registry: agents.registry,
            workspaces: { dataDir },
            ...(agents.tools && { tools: agents.tools }),
            status,
          }),
          // agent: auto chooses here, where the registry is, from the outcome records the orchestration pool writes.
          ...createAgentChoiceActivities({ registry: agents.registry, store: outcomes }),
          // Chat turns are agent work too: the same pool, registry, tools and status board.
          ...createChatActivities({
            runtime: models,
            registry: agents.registry,
            workspaces: { dataDir },
            ...(agents.tools && { tools: agents.tools }),
            status,
          }),
        },
      }),
    );
    served.push({ pool: PoolName.Agents, taskQueues: [agentsQueue(taskQueue)] });
  }
  for (const [pool, local] of [
    [PoolName.LocalModels, true],
    [PoolName.CloudModels, false],
  ] as const) {
    if (!pools.includes(pool) || !models || !modelActivities) continue;
    const locality = new Map(models.catalogue.providers.map((provider) => [provider.id, provider.local]));
    const modelPools = await createModelPools({
      connection,
      namespace,
      dataConverter,
      catalogue: models.catalogue,
      activities: modelActivities,
      tracing,
      only: (queue) => locality.get(queue.provider) === local,
    });
    workers.push(...modelPools.workers.map(({ worker }) => worker));
    served.push({ pool, taskQueues: modelPools.workers.map(({ queue }) => queue.taskQueue) });
  }

  const shutdown = () => {
    for (const sweeper of sweepers) sweeper.stop();
    for (const worker of workers) if (worker.getState() === 'RUNNING') worker.shutdown();
  };
  return {
    served,
    shutdown,
    run: async () => {
      // The API reads the slots from the status store for /metrics and /api/agents.
      const slots = publishWorkerSlots(statusStore(StatusKind.Workers, statusSettings), served, workers);
      await Promise.all(
        workers.map((worker) =>
          worker.run().catch((err: unknown) => {
            shutdown();
            throw err;
          }),
        ),
      ).finally(() => slots.stop());
    },
  };
}
