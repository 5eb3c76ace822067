import { basename, isAbsolute, relative } from 'node:path';
import type { Client } from '@temporalio/client';
import proto from '@temporalio/proto';
import { Router } from 'express';
import { readAgentStatusFrom, summarise } from '../agents/agent-status';
import type { AgentRegistry } from '../agents/registry';
import { StatusKind, statusStore, type StatusSettings } from '../status-board';
import { readWorkerSlots } from '../workers/worker-slots';

export type QueueDepth = { taskQueue: string; backlog: number | undefined; pollers: number; error?: string };

/** How many activity tasks wait on a queue, from Temporal's DescribeTaskQueue (stats need a 1.25+ server). */
export async function describeQueueDepth(client: Client, taskQueue: string): Promise<QueueDepth> {
  try {
    const response = await client.workflowService.describeTaskQueue({
      namespace: client.options.namespace,
      taskQueue: { name: taskQueue, kind: proto.temporal.api.enums.v1.TaskQueueKind.TASK_QUEUE_KIND_NORMAL },
      taskQueueType: proto.temporal.api.enums.v1.TaskQueueType.TASK_QUEUE_TYPE_ACTIVITY,
      reportStats: true,
    });
    const backlog = response.stats?.approximateBacklogCount;
    return {
      taskQueue,
      backlog: backlog === undefined || backlog === null ? undefined : Number(backlog),
      pollers: response.pollers.length,
    };
  } catch (err) {
    return { taskQueue, backlog: undefined, pollers: 0, error: (err as Error).message };
  }
}

/**
 * GET /api/agents: every registered agent with what the workers say it is doing (busy/idle, its
 * current steps, recent success rate, latency and cost), the depth of the task queues agents run on
 * (Temporal's DescribeTaskQueue), and every live worker process wherever it runs (`processes`). The
 * status comes from Redis with REDIS_URL, else from the status files; `statusErrors` says what could
 * not be read, and the rest is still answered.
 */
export function agentsRoutes({
  client,
  registry,
  status: settings,
  taskQueues,
}: {
  client: Client;
  registry: AgentRegistry;
  status: StatusSettings;
  taskQueues: readonly string[];
}): Router {
  const router = Router();
  const agentStore = statusStore(StatusKind.Agents, settings);
  const workerStore = statusStore(StatusKind.Workers, settings);
  router.get('/', async (_req, res) => {
    const [{ agents: status, error: agentsError }, workers, queues] = await Promise.all([
      readAgentStatusFrom(agentStore),
      readWorkerSlots(workerStore),
      Promise.all(taskQueues.map((queue) => describeQueueDepth(client, queue))),
    ]);
    const statusErrors = [...new Set([agentsError, workers.error].flatMap((e) => (e ? [e] : [])))];
    res.json({
      source: publicPath(registry.source),
      statusStore: agentStore.backend,
      ...(statusErrors.length > 0 && { statusErrors }),
      queues,
      processes: workers.hosts,
      agents: [...registry.agents.values()].map((agent) => ({
        id: agent.id,
        description: agent.description,
        capabilities: agent.capabilities,
        provides: agent.provides,
        tools: agent.tools,
        model: agent.model,
        compensation: agent.compensation.kind,
        status: status[agent.id] ?? summarise({ current: [], recent: [] }),
      })),
    });
  });
  return router;
}

/** A folder as clients may see it: relative to the working directory, or only its name, never the server's layout. */
function publicPath(path: string): string {
  if (!isAbsolute(path)) return path;
  const inside = relative(process.cwd(), path);
  return inside && !inside.startsWith('..') && !isAbsolute(inside) ? inside : basename(path);
}
