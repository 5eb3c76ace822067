import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { toolsQueue } from '../../src/engine/task-queues';
import { isClosed, postJson, waitForRun } from '../helpers/harness';
import { startStack, type Stack } from '../helpers/stack';

let stack: Stack;

beforeAll(async () => {
  stack = await startStack('worker slots metrics', { server: true });
});

afterAll(() => stack?.stop());

const scrape = async () => {
  const response = await fetch(`${stack.api.baseUrl}/metrics`);
  expect(response.status).toBe(200);
  return response.text();
};

/** A sample's value, or undefined when /metrics has no such series. */
const sample = (text: string, series: string): number | undefined => {
  const line = text.split('\n').find((entry) => entry.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
};

/** Scrapes until `ok` holds for the sample, as the workers publish their slots once a second. */
const scrapeUntil = async (series: string, ok: (value: number | undefined) => boolean) => {
  const deadline = Date.now() + 15_000;
  let value: number | undefined;
  while (Date.now() < deadline) {
    value = sample(await scrape(), series);
    if (ok(value)) return value;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`${series} stayed at ${value} for 15 s`);
};

it("reports a tool step's activity slot as used while it runs, and free again once it ends", async () => {
  const queue = toolsQueue(stack.api.config.TROUPE_TASK_QUEUE);
  const slots = (state: string) =>
    `troupe_worker_slots{pool="tools",task_queue="${queue}",kind="activity",state="${state}"}`;
  expect(await scrapeUntil(slots('used'), (value) => value === 0)).toBe(0);
  expect(sample(await scrape(), slots('available'))).toBe(100);
  expect(sample(await scrape(), 'troupe_worker_processes{pool="tools"}')).toBe(1);
  expect(await scrape()).not.toContain(`task_queue="${queue}",kind="workflow"`);

  // Commands see only their own workspace (the sandbox), so the step waits for a file there.
  const runId = `hold-a-slot-${Date.now()}`;
  const release = join(stack.api.config.TROUPE_DATA_DIR, 'workspaces', runId, 'release');
  const started = await postJson(`${stack.api.baseUrl}/api/runs`, {
    runId,
    spec: {
      name: 'hold-a-slot',
      steps: [
        {
          id: 'hold',
          kind: 'tool',
          tool: 'shell',
          with: { run: 'while [ ! -e release ]; do sleep 0.1; done' },
        },
      ],
    },
  });
  expect(started.status).toBe(201);

  expect(await scrapeUntil(slots('used'), (value) => value !== undefined && value >= 1)).toBe(1);
  expect(sample(await scrape(), slots('available'))).toBe(99);

  await writeFile(release, '');
  expect((await waitForRun(stack.api, started.body.runId, isClosed)).status).toBe('completed');
  expect(await scrapeUntil(slots('used'), (value) => value === 0)).toBe(0);
  expect(sample(await scrape(), slots('available'))).toBe(100);
});

it('drops the slots of workers that stopped', async () => {
  const workflowSlots = `troupe_worker_slots{pool="orchestration",task_queue="${stack.api.config.TROUPE_TASK_QUEUE}",kind="workflow",state="used"}`;
  expect(await scrapeUntil(workflowSlots, (value) => value !== undefined)).toBeGreaterThanOrEqual(0);
  await stack.stopWorker();
  await scrapeUntil(workflowSlots, (value) => value === undefined);
  expect(await scrape()).not.toMatch(/troupe_worker_processes\{/);
  await stack.startWorker();
  expect(await scrapeUntil('troupe_worker_processes{pool="orchestration"}', (value) => value === 1)).toBe(1);
});
