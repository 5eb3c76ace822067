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
import {
  postJson,
  readExample,
  startApi,
  startWorker,
  waitForRun,
  waitForRunEnded,
} from '../tests/helpers/harness';
import { shippedCatalogueOn } from '../tests/models/helpers';
import { chatRecordingId, recordChatSession } from './record-chat-history';

const fixtures = fileURLToPath(new URL('../tests/fixtures/histories/', import.meta.url));

type Recording = {
  name: string;
  /** An example file, or a spec given inline. */
  example?: string;
  spec?: unknown;
  /**
   * Save the history under the run's id: replay takes the file name as the workflow id, and a run
   * with child workflows derives their ids from its own.
   */
  namedByRunId?: true;
  input?: Record<string, unknown>;
  approve?: string;
  /** Save the histories of the run's child workflows too, each under its own id. */
  children?: true;
};

const recordings: Recording[] = [
  { name: 'hello', example: 'hello.yaml', input: { name: 'world' } },
  // Recorded with the tracing interceptors bundled (src/workflows/tracing-interceptors.ts): its activity
  // commands carry the trace context in their headers.
  { name: 'hello-traced', example: 'hello.yaml', input: { name: 'traces' } },
  { name: 'parallel', example: 'parallel.yaml', input: { pause: 0 } },
  { name: 'conditional', example: 'conditional.yaml' },
  { name: 'foreach', example: 'foreach.yaml' },
  { name: 'saga', example: 'saga.yaml' },
  { name: 'approval', example: 'approval.yaml', approve: 'review' },
  // plan.json was recorded before planned-auto, when the scripted planner named every agent; it replays
  // the old path. Re-recorded, it takes the path of plan-auto.
  { name: 'plan', example: 'plan.yaml', input: { goal: 'Add a greet function, with docs' } },
  // planned-auto: the planner asks for needs [tests] (agent: auto), and the planned step's chooseAgent
  // chooses among the plan step's agents before it runs.
  { name: 'plan-auto', example: 'plan.yaml', input: { goal: 'Add a greet function, with tests and docs' } },
  // agent-auto: each step's agent is chosen by the chooseAgent activity before it runs.
  { name: 'agent-auto', example: 'auto.yaml' },
  // collaborate: a judged, a voted, a debated (two rounds) and a best-of step, each a team of agents
  // run as parallel activities, then the judge's decision where there is one.
  { name: 'collaborate', example: 'collaborate.yaml' },
  {
    // scheduler-v2: a step fed by a completed step and a skipped one runs at once.
    name: 'skipjoin',
    spec: {
      name: 'skipjoin',
      steps: [
        { id: 'a', kind: 'tool', tool: 'shell', with: { run: 'echo a' } },
        { id: 'b', kind: 'tool', tool: 'shell', dependsOn: ['a'], when: 'false', with: { run: 'echo b' } },
        { id: 'c', kind: 'tool', tool: 'shell', dependsOn: ['a', 'b'], with: { run: 'echo c' } },
      ],
    },
  },
  {
    // scheduler-v2: a failing step cancels the one still sleeping, then the compensations run.
    name: 'fail-fast',
    spec: {
      name: 'fail-fast',
      steps: [
        { id: 'prepare', kind: 'tool', tool: 'noop', compensate: { kind: 'tool', tool: 'noop' } },
        {
          id: 'breaks',
          kind: 'tool',
          tool: 'shell',
          dependsOn: ['prepare'],
          with: { run: 'sleep 1; exit 1' },
        },
        { id: 'sleeper', kind: 'tool', tool: 'shell', dependsOn: ['prepare'], with: { run: 'sleep 60' } },
      ],
    },
  },
  {
    // scheduler-v2: a parent that fails undoes its completed child run with the child's compensations.
    name: 'subworkflow-undo',
    namedByRunId: true,
    spec: {
      name: 'subworkflow-undo',
      steps: [
        {
          id: 'sub',
          kind: 'subworkflow',
          with: {
            spec: {
              name: 'child',
              steps: [
                {
                  id: 'make',
                  kind: 'tool',
                  tool: 'shell',
                  with: { run: 'echo made > made.txt' },
                  compensate: { kind: 'tool', tool: 'shell', with: { run: 'rm made.txt' } },
                },
              ],
            },
          },
        },
        { id: 'breaks', kind: 'tool', tool: 'shell', dependsOn: ['sub'], with: { run: 'exit 1' } },
      ],
    },
  },
  {
    // bounded-state: a foreach over more than 500 items runs in batch workflows, joined into one reference.
    name: 'huge-foreach',
    namedByRunId: true,
    children: true,
    spec: {
      name: 'huge-foreach',
      steps: [
        {
          id: 'each',
          kind: 'tool',
          tool: 'noop',
          foreach: { items: JSON.stringify(Array.from({ length: 600 }, (_, i) => i)), parallelism: 100 },
          with: { n: '${{ item }}' },
        },
        {
          id: 'count',
          kind: 'tool',
          tool: 'noop',
          dependsOn: ['each'],
          with: { n: '${{ size(steps.each.output) }}' },
        },
      ],
    },
  },
  {
    // bounded-state: size() of a stored text resolves in an activity; a large foreach list is one reference.
    name: 'stored-values',
    spec: {
      name: 'stored-values',
      steps: [
        { id: 'big', kind: 'tool', tool: 'shell', with: { run: 'head -c 200000 /dev/zero | tr "\\0" x' } },
        {
          id: 'measure',
          kind: 'tool',
          tool: 'noop',
          dependsOn: ['big'],
          with: { n: '${{ size(steps.big.output.stdout) }}' },
        },
        {
          id: 'lines',
          kind: 'tool',
          tool: 'shell',
          foreach: { items: JSON.stringify(Array.from({ length: 40 }, (_, i) => i)), parallelism: 10 },
          with: { run: 'head -c 2000 /dev/zero | tr "\\0" y' },
        },
      ],
    },
  },
  {
    // model-route-local: each model step plans its route in a local activity (a marker), then calls.
    name: 'model-route-local',
    spec: {
      name: 'model-route-local',
      steps: [
        { id: 'ask', kind: 'model', with: { prompt: 'Name a saga pattern.', policy: 'local-first' } },
        {
          id: 'again',
          kind: 'model',
          dependsOn: ['ask'],
          with: { model: 'gpt-4o-mini', prompt: 'Say it again: ${{ steps.ask.output.text }}' },
        },
      ],
    },
  },
  {
    // lean-history: one patch marker for the run; the two parallel steps with the same routing share one
    // route plan, the third (another prompt length) plans its own; TroupeCost is written once, with the
    // final status; the outcome records are a local activity's marker.
    name: 'lean-history',
    spec: {
      name: 'lean-history',
      steps: [
        { id: 'left', kind: 'model', with: { model: 'gpt-4o-mini', prompt: 'Name a saga pattern.' } },
        { id: 'right', kind: 'model', with: { model: 'gpt-4o-mini', prompt: 'Name a saga pattern!' } },
        {
          id: 'both',
          kind: 'model',
          dependsOn: ['left', 'right'],
          with: {
            model: 'gpt-4o-mini',
            prompt: 'Say which is shorter: ${{ steps.left.output.text }} or ${{ steps.right.output.text }}',
          },
        },
      ],
    },
  },
  {
    // budget-holds: parallel model calls hold their estimates, and a child run spends the parent's budget.
    name: 'budget-holds',
    namedByRunId: true,
    children: true,
    spec: {
      name: 'budget-holds',
      budget: { usd: 0.01 },
      steps: [
        {
          id: 'left',
          kind: 'model',
          with: { model: 'gpt-4o', prompt: 'Name a saga pattern.', maxTokens: 400 },
        },
        {
          id: 'right',
          kind: 'model',
          with: { model: 'gpt-4o', prompt: 'Name a saga pattern.', maxTokens: 400 },
        },
        {
          id: 'sub',
          kind: 'subworkflow',
          dependsOn: ['left', 'right'],
          with: {
            spec: {
              name: 'child',
              steps: [
                {
                  id: 'inner',
                  kind: 'model',
                  with: { model: 'gpt-4o', prompt: 'Name a saga pattern.', maxTokens: 400 },
                },
              ],
            },
          },
        },
      ],
    },
  },
  {
    // Layout 2, which POST /api/runs now starts every run with (in the run's input): no lean-history
    // marker or TemporalChangeVersion upsert, no TroupeStatus write at the end; the child run takes
    // its parent's layout.
    name: 'layout-2',
    namedByRunId: true,
    children: true,
    spec: {
      name: 'layout-2',
      steps: [
        { id: 'left', kind: 'model', with: { model: 'gpt-4o-mini', prompt: 'Name a saga pattern.' } },
        { id: 'right', kind: 'model', with: { model: 'gpt-4o-mini', prompt: 'Name a saga pattern!' } },
        {
          id: 'sub',
          kind: 'subworkflow',
          dependsOn: ['left', 'right'],
          with: {
            spec: {
              name: 'layout-2-child',
              steps: [{ id: 'inner', kind: 'tool', tool: 'shell', with: { run: 'echo inner' } }],
            },
          },
        },
      ],
    },
  },
  {
    // Layout 2 ending in failure: Temporal's close status (Failed) says it, not TroupeStatus.
    name: 'layout-2-failed',
    spec: {
      name: 'layout-2-failed',
      steps: [
        { id: 'ok', kind: 'tool', tool: 'shell', with: { run: 'echo ok' } },
        { id: 'broken', kind: 'tool', tool: 'shell', dependsOn: ['ok'], with: { run: 'exit 3' } },
      ],
    },
  },
];

/** The scripted answers of the recordings that call models: the planner, the agents, the summarizer. */
const modelScript = fileURLToPath(new URL('../config/fake-models/plan.yaml', import.meta.url));

async function main() {
  const only = process.argv.slice(2);
  const unknown = only.filter(
    (name) => name !== 'chat' && !recordings.some((recording) => recording.name === name),
  );
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
        spec: recording.example ? await readExample(recording.example) : recording.spec,
        input: recording.input ?? {},
      });
      const { runId } = started.body as { runId: string };
      if (recording.approve) {
        await waitForRun(api, runId, (run) => run.status === 'waiting');
        await postJson(`${api.baseUrl}/api/runs/${runId}/approve`, { stepId: recording.approve });
      }
      const run = await waitForRunEnded(env, api, runId);
      const history = await env.client.workflow.getHandle(runId).fetchHistory();
      const file = recording.namedByRunId ? runId : recording.name;
      await writeFile(join(fixtures, `${file}.json`), historyToJSON(history));
      const children = recording.children
        ? (history.events ?? []).flatMap(
            (event) =>
              event.childWorkflowExecutionStartedEventAttributes?.workflowExecution?.workflowId ?? [],
          )
        : [];
      for (const child of children) {
        const childHistory = await env.client.workflow.getHandle(child).fetchHistory();
        await writeFile(join(fixtures, `${child}.json`), historyToJSON(childHistory));
      }
      console.log(`${recording.name}: ${run.status}, ${history.events?.length ?? 0} events`);
    }
    if (only.length === 0 || only.includes('chat')) {
      await recordChatSession(env, api, fake, [...registry.agents.keys()]);
      const history = await env.client.workflow.getHandle(chatRecordingId).fetchHistory();
      await writeFile(join(fixtures, `${chatRecordingId}.json`), historyToJSON(history));
      console.log(`chat: ${history.events?.length ?? 0} events`);
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
