// `npm run record-histories`: runs representative specs on a fresh dev server and saves their event
// histories to tests/fixtures/histories. CI replays them against the current workflow code, so a change
// that would break runs already in flight fails the build. Re-record only for a deliberate, patched() change.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import { bundleWorkflows, startTestTemporal } from '../tests/helpers/temporal';
import { isClosed, postJson, readExample, startApi, startWorker, waitForRun } from '../tests/helpers/harness';

const fixtures = fileURLToPath(new URL('../tests/fixtures/histories/', import.meta.url));

type Recording = { name: string; example: string; input?: Record<string, unknown>; approve?: string };

const recordings: Recording[] = [
  { name: 'hello', example: 'hello.yaml', input: { name: 'world' } },
  { name: 'parallel', example: 'parallel.yaml', input: { pause: 0 } },
  { name: 'conditional', example: 'conditional.yaml' },
  { name: 'foreach', example: 'foreach.yaml' },
  { name: 'saga', example: 'saga.yaml' },
  { name: 'approval', example: 'approval.yaml', approve: 'review' },
];

async function main() {
  const [env, bundle] = await Promise.all([startTestTemporal(), bundleWorkflows()]);
  const api = await startApi(env, 'record histories');
  const worker = await startWorker(env, api, bundle);
  try {
    await mkdir(fixtures, { recursive: true });
    for (const recording of recordings) {
      const started = await postJson(`${api.baseUrl}/api/runs`, {
        spec: await readExample(recording.example),
        input: recording.input ?? {},
      });
      const { runId } = started.body as { runId: string };
      if (recording.approve) {
        await waitForRun(api, runId, (run) => run.status === 'waiting');
        await postJson(`${api.baseUrl}/api/runs/${runId}/approve`, { stepId: recording.approve });
      }
      const run = await waitForRun(api, runId, isClosed);
      const history = await env.client.workflow.getHandle(runId).fetchHistory();
      await writeFile(join(fixtures, `${recording.name}.json`), historyToJSON(history));
      console.log(`${recording.name}: ${run.status}, ${history.events?.length ?? 0} events`);
    }
  } finally {
    await worker.stop();
    await api.close();
    await env.teardown();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
