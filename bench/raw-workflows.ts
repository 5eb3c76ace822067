// Hand-written minimal Temporal workflows: the baseline the engine benchmark compares Troupe's
// interpreter with. They call the same no-op tool activity, with the same shapes.
import { proxyActivities, workflowInfo } from '@temporalio/workflow';
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
