import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils';
import { Worker } from '@temporalio/worker';
import { expect, it } from 'vitest';
import { testDataConverter } from './helpers/payload-codec';
import { bundleWorkflows } from './helpers/temporal';

const fixtures = fileURLToPath(new URL('./fixtures/histories/', import.meta.url));

it('replays every recorded history against the current workflow code without nondeterminism', async () => {
  const files = (await readdir(fixtures)).filter((file) => file.endsWith('.json'));
  expect(files.length).toBeGreaterThanOrEqual(6);
  const histories = await Promise.all(
    files.map(async (file) => ({
      workflowId: file.replace(/\.json$/, ''),
      history: historyFromJSON(JSON.parse(await readFile(join(fixtures, file), 'utf8'))),
    })),
  );
  const results = [];
  for await (const result of Worker.runReplayHistories(
    { workflowBundle: await bundleWorkflows(), dataConverter: testDataConverter },
    histories,
  )) {
    results.push({ workflowId: result.workflowId, error: result.error?.message });
  }
  expect(results).toEqual(histories.map(({ workflowId }) => ({ workflowId, error: undefined })));
});

/** The patch ids of a recorded history's markers, and its activity types, in order. */
async function recordedShape(file: string): Promise<string[]> {
  const { events } = JSON.parse(await readFile(join(fixtures, file), 'utf8')) as {
    events: {
      markerRecordedEventAttributes?: { details?: { 'patch-data'?: { payloads?: { data: string }[] } } };
      activityTaskScheduledEventAttributes?: { activityType: { name: string } };
    }[];
  };
  return events.flatMap((event) => {
    const patch = event.markerRecordedEventAttributes?.details?.['patch-data']?.payloads?.[0]?.data;
    if (patch) return [`patch:${(JSON.parse(Buffer.from(patch, 'base64').toString()) as { id: string }).id}`];
    const activity = event.activityTaskScheduledEventAttributes?.activityType.name;
    return activity ? [activity] : [];
  });
}

it('replays a planned run both ways: plan.json before planned-auto, plan-auto.json choosing a planned step’s agent', async () => {
  const before = await recordedShape('plan.json');
  expect(before).not.toContain('patch:planned-auto');
  expect(before).not.toContain('chooseAgent');
  const after = await recordedShape('plan-auto.json');
  const patch = after.indexOf('patch:planned-auto');
  // The planner's runAgent, then the patch as its answer is read, then the planned auto step's choice.
  expect(after.slice(0, patch)).toContain('runAgent');
  expect(after.slice(patch)).toEqual(expect.arrayContaining(['patch:agent-auto', 'chooseAgent']));
  expect(after.indexOf('chooseAgent')).toBeGreaterThan(patch);
});
