import { basename, isAbsolute, join, relative } from 'node:path';
import type { Client } from '@temporalio/client';
import proto from '@temporalio/proto';
import { Router } from 'express';
import { readAgentStatus, summarise } from '../agents/agent-status';
import type { AgentRegistry } from '../agents/registry';

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
 * current steps, recent success rate, latency and cost) and the depth of the task queues agents run on.
 */
export function agentsRoutes({
  client,
  registry,
  dataDir,
  taskQueues,
}: {
  client: Client;
  registry: AgentRegistry;
  dataDir: string;
  taskQueues: readonly string[];
}): Router {
  const router = Router();
  router.get('/', async (_req, res) => {
    const [status, queues] = await Promise.all([
      readAgentStatus(join(dataDir, 'agents', 'status')),
      Promise.all(taskQueues.map((queue) => describeQueueDepth(client, queue))),
    ]);
    res.json({
      source: publicPath(registry.source),
      queues,
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
