// `npm run record-histories [-- <name> ...]`: runs representative specs (all, or the named ones) on a
// fresh dev server and saves their event histories to tests/fixtures/histories. CI replays them against the
// current workflow code, so a change that would break runs already in flight fails the build. Re-record
// only for a deliberate, patched() change. Runs that call models and agents do so on the scripted server.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import { bundleWorkflows, startTestTemporal } from '../tests/helpers/temporal';
import { loadAgentRegistry } from '../src/agents/registry';
import { startFakeModelServer } from '../src/fake-models/server';
import { isClosed, postJson, readExample, startApi, startWorker, waitForRun } from '../tests/helpers/harness';
import { shippedCatalogueOn } from '../tests/models/helpers';

const fixtures = fileURLToPath(new URL('../tests/fixtures/histories/', import.meta.url));

type Recording = {
  name: string;
  example: string;
  input?: Record<string, unknown>;
  approve?: string;
};

const recordings: Recording[] = [
  { name: 'hello', example: 'hello.yaml', input: { name: 'world' } },
  { name: 'parallel', example: 'parallel.yaml', input: { pause: 0 } },
  { name: 'conditional', example: 'conditional.yaml' },
  { name: 'foreach', example: 'foreach.yaml' },
  { name: 'saga', example: 'saga.yaml' },
  { name: 'approval', example: 'approval.yaml', approve: 'review' },
  { name: 'plan', example: 'plan.yaml', input: { goal: 'Add a greet function, with docs' } },
];

/** The scripted answers of the recordings that call models: the planner, the agents, the summarizer. */
const modelScript = fileURLToPath(new URL('../config/fake-models/plan.yaml', import.meta.url));

async function main() {
  const only = process.argv.slice(2);
  const unknown = only.filter((name) => !recordings.some((recording) => recording.name === name));
  if (unknown.length > 0) throw new Error(`no recording named ${unknown.join(', ')}`);
  const [env, bundle, fake, registry] = await Promise.all([
    startTestTemporal(),
    bundleWorkflows(),
    startFakeModelServer({ script: modelScript }),
    loadAgentRegistry(),
  ]);
  const api = await startApi(env, 'record histories', { agents: registry });
  const worker = await startWorker(env, api, bundle, {
    models: shippedCatalogueOn(fake).runtime(api),
    agents: { registry },
  });
  try {
    await mkdir(fixtures, { recursive: true });
    for (const recording of recordings.filter(({ name }) => only.length === 0 || only.includes(name))) {
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
    await fake.close();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
