// Hand-written minimal Temporal workflows: the baseline the engine benchmark compares Troupe's
// interpreter with. They call the same no-op tool activity, with the same shapes.
import { executeChild, proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { createToolActivities } from '../src/activities/tool-activities';
import { toolsQueue } from '../src/engine/task-queues';

const step = (stepId: string) => {
  const { runTool } = proxyActivities<ReturnType<typeof createToolActivities>>({
    taskQueue: toolsQueue(workflowInfo().taskQueue),
    startToCloseTimeout: '10 minutes',
  });
  return runTool({ stepId, tool: 'noop', args: {} });
};

export async function rawSequential(steps: number): Promise<void> {
  for (let index = 0; index < steps; index++) await step(`s${index}`);
}

export async function rawFanOut(width: number): Promise<void> {
  await step('start');
  await Promise.all(Array.from({ length: width }, (_, index) => step(`b${index}`)));
  await step('join');
}

export async function rawLayered(layers: number, width: number): Promise<void> {
  for (let layer = 0; layer < layers; layer++) {
    await Promise.all(Array.from({ length: width }, (_, index) => step(`l${layer}_${index}`)));
  }
}

export async function rawDiamond(): Promise<void> {
  await step('a');
  await Promise.all([step('b'), step('c'), step('d')]);
  await step('e');
}

/** The huge foreach by hand: batch child workflows of `batch` items, `lanes` activities at a time. */
export async function rawHugeForeach(items: number, batch: number, lanes: number): Promise<void> {
  const { workflowId } = workflowInfo();
  for (let offset = 0; offset < items; offset += batch) {
    await executeChild(rawForeachBatch, {
      workflowId: `${workflowId}.batch${offset / batch}`,
      args: [offset, Math.min(batch, items - offset), lanes],
    });
  }
}

export async function rawForeachBatch(offset: number, count: number, lanes: number): Promise<void> {
  let next = 0;
  const lane = async () => {
    while (next < count) await step(`each.${offset + next++}`);
  };
  await Promise.all(Array.from({ length: Math.min(lanes, count) }, lane));
}
