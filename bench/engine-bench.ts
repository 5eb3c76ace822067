// `npm run bench:engine`: on one dev server, times the same graph shapes run by Troupe's interpreter and
// by hand-written minimal Temporal workflows with the same no-op activity (the `raw` shapes), and N model
// calls to one scripted model made by Troupe's model steps and by @temporalio/ai-sdk (the `peer` shapes,
// bench/peer-shapes.ts), and prints how they compare.
// BENCH_SHAPES=raw or BENCH_SHAPES=peer runs only those (default: raw,peer); BENCH_REPEATS sets the
// repeats per shape (3); BENCH_ONLY runs only the raw shapes whose name contains it; BENCH_PHASES=1
// prints where each shape's time went (workflow tasks queued and run, activities queued and run);
// BENCH_PEER_CALLS sets the model calls per peer run (20), BENCH_PEER_HISTORIES a directory to save
// the peer runs' histories to.
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Client, WorkflowHandle } from '@temporalio/client';
import proto from '@temporalio/proto';
import { bundleWorkflowCode, DefaultLogger, Runtime, type WorkflowBundle } from '@temporalio/worker';
import { PoolName } from '../src/workers/pools';
import { createTroupeWorkers } from '../src/workers/worker';
import { workflowBundlerOptions } from '../src/workers/workflow-bundle';
import { runStartOptions } from '../src/api/run-start';
import { Config } from '../src/config';
import { Spec, type SpecInput } from '../src/engine/spec';
import { FOREACH_BATCH_ITEMS } from '../src/engine/pending-limits';
import { failureConverterPath } from '../src/codec/data-converter';
import { testDataConverter } from '../tests/helpers/payload-codec';
import { startTestTemporal } from '../tests/helpers/temporal';
import { runPeerShapes } from './peer-shapes';
import { table } from './bench-support';

const REPEATS = Number(process.env.BENCH_REPEATS ?? 3);
// Troupe's model calls log a line each at INFO; the tables are what this prints.
process.env.TROUPE_LOG_LEVEL ??= 'WARN';
const SHAPE_SETS = ['raw', 'peer'] as const;
const SHAPES = (process.env.BENCH_SHAPES ?? SHAPE_SETS.join(','))
  .split(',')
  .map((name) => name.trim())
  .filter(Boolean);
const taskQueue = 'bench-engine';
/** The raw workflows' own queue: a hand-written app has its own bundle and workers, not Troupe's. */
const rawTaskQueue = 'bench-raw';

type Shape = {
  name: string;
  runs: number;
  steps: number;
  spec: SpecInput;
  input?: Record<string, unknown>;
  raw: { workflow: string; args: unknown[] };
};

const noop = (id: string, dependsOn: string[] = []) =>
  ({ id, kind: 'tool', tool: 'noop', dependsOn }) as const;
const range = (n: number) => Array.from({ length: n }, (_, index) => index);
const HUGE_ITEMS = Number(process.env.BENCH_HUGE_ITEMS ?? 10_000);
const HUGE_LANES = 200;

const shapes: Shape[] = [
  {
    name: '20 sequential steps',
    runs: 1,
    steps: 20,
    spec: { name: 'seq', steps: range(20).map((i) => noop(`s${i}`, i > 0 ? [`s${i - 1}`] : [])) },
    raw: { workflow: 'rawSequential', args: [20] },
  },
  {
    name: 'fan-out 1→50→1',
    runs: 1,
    steps: 52,
    spec: {
      name: 'fan',
      maxParallel: 50,
      steps: [
        noop('start'),
        ...range(50).map((i) => noop(`b${i}`, ['start'])),
        noop(
          'join',
          range(50).map((i) => `b${i}`),
        ),
      ],
    },
    raw: { workflow: 'rawFanOut', args: [50] },
  },
  {
    name: '200-step layered graph',
    runs: 1,
    steps: 200,
    spec: {
      name: 'layered',
      maxParallel: 20,
      steps: range(10).flatMap((layer) =>
        range(20).map((i) =>
          noop(`l${layer}_${i}`, layer > 0 ? range(20).map((j) => `l${layer - 1}_${j}`) : []),
        ),
      ),
    },
    raw: { workflow: 'rawLayered', args: [10, 20] },
  },
  {
    name: '50 concurrent runs × 5 steps',
    runs: 50,
    steps: 5,
    spec: {
      name: 'diamond',
      steps: [noop('a'), noop('b', ['a']), noop('c', ['a']), noop('d', ['a']), noop('e', ['b', 'c', 'd'])],
    },
    raw: { workflow: 'rawDiamond', args: [] },
  },
  {
    // Batched into child workflows of 500 items (FOREACH_BATCH_ITEMS), so no history nears Temporal's caps.
    name: 'foreach of 10,000 no-ops',
    runs: 1,
    steps: HUGE_ITEMS,
    spec: {
      name: 'huge-foreach',
      steps: [
        {
          id: 'each',
          kind: 'tool',
          tool: 'noop',
          // A CEL list literal holds at most 1,000 items, so the list comes as input.
          foreach: { items: '${{ input.items }}', parallelism: HUGE_LANES },
        },
      ],
    },
    input: { items: range(HUGE_ITEMS) },
    raw: { workflow: 'rawHugeForeach', args: [HUGE_ITEMS, FOREACH_BATCH_ITEMS, HUGE_LANES] },
  },
];

/**
 * Starts a Troupe run as POST /api/runs and schedules do (runStartOptions): with its search attributes,
 * memo and summaries, so the run writes no upsert for what its start already set.
 */
function startAsTheApiDoes(client: Client, spec: Spec, input: Record<string, unknown>, workflowId: string) {
  const { workflowType, ...options } = runStartOptions(
    Config.parse({ TROUPE_TASK_QUEUE: taskQueue }),
    spec,
    input,
    workflowId,
  );
  return client.workflow.start(workflowType, { ...options, workflowId });
}

type Measure = { wallMs: number; overheadsMs: number[]; events: number; rssPeak: number; phases: Phases };

/** Where a shape's time went, from its histories' timestamps (BENCH_PHASES=1 prints them). */
type Phases = Record<'taskQueued' | 'taskRun' | 'activityQueued' | 'activityRun', number[]>;

function phasesOf(history: History, into: Phases): void {
  const at = (event: NonNullable<History['events']>[number]) =>
    Number(event.eventTime?.seconds ?? 0) * 1000 + (event.eventTime?.nanos ?? 0) / 1e6;
  const byId = new Map((history.events ?? []).map((event) => [Number(event.eventId), event]));
  const since = (id: unknown, event: NonNullable<History['events']>[number]) => {
    const from = byId.get(Number(id));
    return from ? at(event) - at(from) : undefined;
  };
  for (const event of history.events ?? []) {
    const push = (key: keyof Phases, value: number | undefined) =>
      value !== undefined && into[key].push(value);
    push('taskQueued', since(event.workflowTaskStartedEventAttributes?.scheduledEventId, event));
    push('taskRun', since(event.workflowTaskCompletedEventAttributes?.startedEventId, event));
    push('activityQueued', since(event.activityTaskStartedEventAttributes?.scheduledEventId, event));
    push('activityRun', since(event.activityTaskCompletedEventAttributes?.startedEventId, event));
  }
}

/** The largest single workflow history seen, in events and bytes: Temporal caps both per run. */
const largest = { events: 0, bytes: 0, shape: '' };

async function runShape(
  client: Client,
  shape: Shape,
  engine: 'troupe' | 'raw',
  tag: string,
): Promise<Measure> {
  const spec = Spec.parse(shape.spec);
  let rssPeak = process.memoryUsage().rss;
  const sampler = setInterval(() => (rssPeak = Math.max(rssPeak, process.memoryUsage().rss)), 50);
  const started = performance.now();
  const handles = await Promise.all(
    range(shape.runs).map((i) =>
      engine === 'troupe'
        ? startAsTheApiDoes(client, spec, shape.input ?? {}, `${tag}-${i}`)
        : client.workflow.start(shape.raw.workflow, {
            taskQueue: rawTaskQueue,
            workflowId: `${tag}-${i}`,
            args: shape.raw.args,
          }),
    ),
  );
  await Promise.all(handles.map((handle) => handle.result()));
  const wallMs = performance.now() - started;
  clearInterval(sampler);
  const overheadsMs: number[] = [];
  const phases: Phases = { taskQueued: [], taskRun: [], activityQueued: [], activityRun: [] };
  let events = 0;
  for (const history of await historiesOf(
    client,
    handles.map((handle) => handle.workflowId),
  )) {
    events += history.events?.length ?? 0;
    phasesOf(history, phases);
    const bytes = proto.temporal.api.history.v1.History.encode(history).finish().length;
    if (engine === 'troupe' && (history.events?.length ?? 0) > largest.events)
      Object.assign(largest, { events: history.events?.length ?? 0, bytes, shape: shape.name });
    let unblockedAt: number | undefined;
    for (const event of history.events ?? []) {
      const at = Number(event.eventTime?.seconds ?? 0) * 1000 + (event.eventTime?.nanos ?? 0) / 1e6;
      if (event.workflowExecutionStartedEventAttributes || event.activityTaskCompletedEventAttributes)
        unblockedAt = at;
      if (event.activityTaskScheduledEventAttributes && unblockedAt !== undefined)
        overheadsMs.push(at - unblockedAt);
    }
  }
  return { wallMs, overheadsMs, events, rssPeak, phases };
}

/** The histories of these workflows and of every child workflow they started, depth first. */
type History = Awaited<ReturnType<WorkflowHandle['fetchHistory']>>;
async function historiesOf(client: Client, workflowIds: string[]): Promise<History[]> {
  const histories: History[] = [];
  for (const workflowId of workflowIds) {
    const history = await client.workflow.getHandle(workflowId).fetchHistory();
    histories.push(history);
    const children = (history.events ?? []).flatMap(
      (event) => event.childWorkflowExecutionStartedEventAttributes?.workflowExecution?.workflowId ?? [],
    );
    histories.push(...(await historiesOf(client, children)));
  }
  return histories;
}

const percentile = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
};
const median = (values: number[]) => percentile(values, 50);

type RawResult = { rows: string[][]; timeRatio: number; eventRatio: number };

/** The raw shapes: Troupe's interpreter against the hand-written workflows, on the no-op tool. */
async function runRawShapes(
  env: Awaited<ReturnType<typeof startTestTemporal>>,
  workflowBundle: WorkflowBundle,
  rawBundle: WorkflowBundle,
): Promise<RawResult> {
  const dataDir = await mkdtemp(join(tmpdir(), 'troupe-bench-'));
  // The same worker setup for both; each engine runs only its own workflow code, so the raw runs do not
  // pay for loading Troupe's modules, as a hand-written app would not.
  const workersFor = (queue: string, bundle: WorkflowBundle) =>
    createTroupeWorkers({
      connection: env.nativeConnection,
      namespace: 'default',
      taskQueue: queue,
      dataDir,
      dataConverter: testDataConverter,
      pools: [PoolName.Orchestration, PoolName.Tools],
      workflowBundle: bundle,
    });
  const workers = [await workersFor(taskQueue, workflowBundle), await workersFor(rawTaskQueue, rawBundle)];
  const rows: string[][] = [];
  let timeRatio = 0;
  let eventRatio = 0;
  const running = Promise.all(workers.map((each) => each.run()));
  try {
    // Warm up both engines so the first measured shape does not pay for JIT and workflow caching.
    await runShape(env.client, shapes[3]!, 'raw', 'warm-raw');
    await runShape(env.client, shapes[3]!, 'troupe', 'warm-troupe');
    const measured = shapes.filter((shape) => shape.name.includes(process.env.BENCH_ONLY ?? ''));
    const total = measured.length * REPEATS * 2;
    let done = 0;
    for (const shape of measured) {
      const results: Record<'troupe' | 'raw', Measure[]> = { troupe: [], raw: [] };
      for (let repeat = 0; repeat < REPEATS; repeat++) {
        const order = repeat % 2 === 0 ? (['raw', 'troupe'] as const) : (['troupe', 'raw'] as const);
        for (const engine of order) {
          done += 1;
          process.stderr.write(`[${done}/${total}] ${engine.padEnd(6)} ${shape.name}\n`);
          results[engine].push(
            await runShape(env.client, shape, engine, `${engine}-${shapes.indexOf(shape)}-${repeat}`),
          );
        }
      }
      const summary = (engine: 'troupe' | 'raw') => {
        const measures = results[engine];
        const wall = median(measures.map((m) => m.wallMs));
        const overheads = measures.flatMap((m) => m.overheadsMs);
        const events = measures[0]!.events / (shape.steps * shape.runs);
        const rss = Math.max(...measures.map((m) => m.rssPeak)) / 2 ** 20;
        return {
          wall,
          p50: percentile(overheads, 50),
          p95: percentile(overheads, 95),
          events,
          rss,
          rate: shape.runs / (wall / 1000),
        };
      };
      if (process.env.BENCH_PHASES) {
        for (const engine of ['raw', 'troupe'] as const) {
          const phases = Object.entries(results[engine][0]!.phases).map(
            ([name, values]) =>
              `${name} n=${values.length} p50 ${percentile(values, 50).toFixed(1)} p95 ${percentile(values, 95).toFixed(1)} sum ${values.reduce((a, b) => a + b, 0).toFixed(0)}`,
          );
          process.stderr.write(`phases ${engine.padEnd(6)} ${shape.name}: ${phases.join('; ')}\n`);
        }
      }
      const troupe = summary('troupe');
      const raw = summary('raw');
      const ratio = troupe.wall / raw.wall;
      timeRatio = Math.max(timeRatio, ratio);
      eventRatio = Math.max(eventRatio, troupe.events / raw.events);
      for (const [engine, s] of [
        ['raw', raw],
        ['troupe', troupe],
      ] as const) {
        rows.push([
          shape.name,
          engine,
          s.wall.toFixed(0),
          s.p50.toFixed(1),
          s.p95.toFixed(1),
          s.rate.toFixed(1),
          s.events.toFixed(2),
          s.rss.toFixed(0),
          engine === 'troupe' ? ratio.toFixed(2) : '',
        ]);
      }
    }
  } finally {
    for (const each of workers) each.shutdown();
    await running;
  }
  return { rows, timeRatio, eventRatio };
}

async function main() {
  const unknown = SHAPES.filter((name) => !(SHAPE_SETS as readonly string[]).includes(name));
  if (unknown.length > 0 || SHAPES.length === 0) {
    console.error(`BENCH_SHAPES: unknown "${unknown.join(', ')}"; use raw, peer or raw,peer`);
    process.exit(2);
  }
  Runtime.install({ logger: new DefaultLogger('WARN') });
  const env = await startTestTemporal();
  const bundle = await bundleWorkflowCode({
    workflowsPath: fileURLToPath(new URL('./workflows.ts', import.meta.url)),
    failureConverterPath,
    ...workflowBundlerOptions,
    logger: new DefaultLogger('WARN'),
  });
  const rawBundle = await bundleWorkflowCode({
    workflowsPath: fileURLToPath(new URL('./raw-workflows.ts', import.meta.url)),
    logger: new DefaultLogger('WARN'),
  });
  const raw = SHAPES.includes('raw') ? await runRawShapes(env, bundle, rawBundle) : undefined;
  const peer = SHAPES.includes('peer') ? await runPeerShapes(env, bundle, REPEATS) : undefined;
  await env.teardown();

  if (raw) {
    const header = [
      'shape',
      'engine',
      'wall ms',
      'step p50 ms',
      'step p95 ms',
      'runs/s',
      'events/step',
      'peak RSS MiB',
      'time ratio',
    ];
    console.log(table([header, ...raw.rows]));
    console.log('');
    console.log(
      `median of ${REPEATS} repeats; step overhead = time from the event that unblocked a step to its scheduling`,
    );
    console.log(
      `largest troupe history: ${largest.events} events, ${(largest.bytes / 2 ** 20).toFixed(2)} MiB (${largest.shape})`,
    );
    console.log(`engine/raw history events ratio: ${raw.eventRatio.toFixed(2)}`);
  }
  if (peer) {
    console.log('');
    for (const text of peer.lines) console.log(text);
  }
  console.log(`engine/raw time ratio: ${raw ? raw.timeRatio.toFixed(2) : 'n/a'}`);
  console.log(
    peer
      ? `engine/ai-sdk time ratio: ${peer.timeRatio.toFixed(2)}, history events ratio: ${peer.eventRatio.toFixed(2)}`
      : 'engine/ai-sdk time ratio: n/a, history events ratio: n/a',
  );
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
