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
