// The engine benchmark's peer shapes (`BENCH_SHAPES=peer`): N model calls to the same scripted model on
// the same dev server, made by Troupe's model steps (runWorkflow on its orchestration and cloud-models
// workers) and by @temporalio/ai-sdk's plugin (bench/ai-sdk-workflows.ts, bench/ai-sdk-worker.ts).
// Worker RSS is measured in this process, which hosts both sides' workers: "start" is the growth of
// its RSS (after a full GC of the main heap, before and after) while a side's workers start and serve
// a warm-up run, "run" the largest growth during one measured run; read them as rough.
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { Client, WorkflowHandle } from '@temporalio/client';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import proto from '@temporalio/proto';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { WorkflowBundle } from '@temporalio/worker';
import { io } from 'socket.io-client';
import { ApiConfig } from '../src/api/api-config';
import { startApiServer } from '../src/api/api-server';
import { LiveEvent, type SubscribeAck } from '../src/api/live-events';
import { runStartOptions } from '../src/api/run-start';
import { Config } from '../src/config';
import { Spec, type SpecInput } from '../src/engine/spec';
import { startFakeModelServer } from '../src/fake-models/server';
import { createModelRuntime } from '../src/models/model-runtime';
import { PoolName } from '../src/workers/pools';
import { createTroupeWorkers } from '../src/workers/worker';
import { testDataConverter } from '../tests/helpers/payload-codec';
import { bundleAiSdkWorkflows, createAiSdkWorker } from './ai-sdk-worker';
import { buildCatalogue, table } from './bench-support';

const CALLS = Number(process.env.BENCH_PEER_CALLS ?? 20);
/** A directory to save every measured run's history to, as `<workflow id>.json` (off by default). */
const HISTORIES = process.env.BENCH_PEER_HISTORIES;
const LANES = 5;
const MODEL = 'bench-model';
const troupeQueue = 'bench-peer-troupe';
const peerQueue = 'bench-peer-ai-sdk';

type Side = 'troupe' | 'ai-sdk';
type PeerShape = {
  name: string;
  spec: SpecInput;
  peer: { workflow: 'aiSdkSequential' | 'aiSdkParallel'; args: unknown[] };
};

const range = (n: number) => Array.from({ length: n }, (_, index) => index);
const prompts = range(CALLS).map((i) => `bench call ${i}`);
const modelStep = (i: number, dependsOn: string[]) =>
  ({ id: `c${i}`, kind: 'model', with: { model: MODEL, prompt: prompts[i]! }, dependsOn }) as const;

export const peerShapes: PeerShape[] = [
  {
    name: `${CALLS} sequential model calls`,
    spec: { name: 'peer-seq', steps: range(CALLS).map((i) => modelStep(i, i > 0 ? [`c${i - 1}`] : [])) },
    peer: { workflow: 'aiSdkSequential', args: [MODEL, prompts] },
  },
  {
    name: `${CALLS} model calls, ${LANES} wide`,
    spec: { name: 'peer-wide', maxParallel: LANES, steps: range(CALLS).map((i) => modelStep(i, [])) },
    peer: { workflow: 'aiSdkParallel', args: [MODEL, prompts, LANES] },
  },
];

/**
 * Time to first token is measured on its own run of one call whose answer streams at a model's pace
 * (200 tokens at 100 tokens/s), so there is a first token before the last; the measured shapes' answers
 * come at once, so both sides' calls take the same time on the server.
 */
const streamedPrompt = 'bench streamed answer';
const streamed = {
  tokens: 200,
  tokensPerSecond: 100,
  spec: {
    name: 'peer-ttft',
    steps: [{ id: 'ask', kind: 'model', with: { model: MODEL, prompt: streamedPrompt } }],
  } satisfies SpecInput,
};

/** A short paragraph, so each answer weighs in history about what a real one does. */
const reply =
  'answer from {{model}} to: {{prompt}}. ' +
  'Durable model calls survive a worker restart: the call is an activity, its answer is in history, ' +
  'and a replay reads it back instead of asking the model again.';

/**
 * Workflow tasks: scheduled to started (waiting for a worker) and started to completed (the worker's
 * work, local activities included); activities: scheduled to started (dispatch) and started to completed.
 */
type Phases = { taskWait: number; taskRun: number; dispatch: number; activity: number };

/** Sums the phases of a history's workflow tasks and activities. */
function phasesOf(events: proto.temporal.api.history.v1.IHistoryEvent[]): Phases {
  const at = new Map(events.map((event) => [Number(event.eventId), eventMs(event)]));
  const since = (id: unknown, event: proto.temporal.api.history.v1.IHistoryEvent) =>
    eventMs(event) - (at.get(Number(id)) ?? eventMs(event));
  const phases: Phases = { taskWait: 0, taskRun: 0, dispatch: 0, activity: 0 };
  for (const event of events) {
    if (event.workflowTaskStartedEventAttributes)
      phases.taskWait += since(event.workflowTaskStartedEventAttributes.scheduledEventId, event);
    if (event.workflowTaskCompletedEventAttributes)
      phases.taskRun += since(event.workflowTaskCompletedEventAttributes.startedEventId, event);
    if (event.activityTaskStartedEventAttributes)
      phases.dispatch += since(event.activityTaskStartedEventAttributes.scheduledEventId, event);
    if (event.activityTaskCompletedEventAttributes)
      phases.activity += since(event.activityTaskCompletedEventAttributes.startedEventId, event);
  }
  return phases;
}

type Measure = {
  wallMs: number;
  events: number;
  bytes: number;
  byType: Map<string, number>;
  /** Where a run's time goes, summed over its history (server clock), ms. */
  phases: Phases;
  /** From the run's start to its first model call's completed event (server clock). */
  firstAnswerMs: number;
  rssRunMiB: number;
};

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;
/** This process's RSS after a full GC of its main heap (the workflow threads' heaps are not collected). */
const settledRss = () => {
  gc();
  return rss();
};
const rss = () => process.memoryUsage().rss / 2 ** 20;
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0;
const eventMs = (event: proto.temporal.api.history.v1.IHistoryEvent) =>
  Number(event.eventTime?.seconds ?? 0) * 1000 + (event.eventTime?.nanos ?? 0) / 1e6;
const eventTypeName = (type: proto.temporal.api.enums.v1.EventType | null | undefined) =>
  (proto.temporal.api.enums.v1.EventType[type ?? 0] ?? String(type)).replace(/^EVENT_TYPE_/, '');

/**
 * Starts a Troupe run as POST /api/runs and schedules do (runStartOptions): with its search attributes
 * (TroupeStatus "running", TroupeCost 0, ...), memo and summaries, so the run writes no upsert for them.
 */
function startTroupe(client: Client, spec: SpecInput, workflowId: string): Promise<WorkflowHandle> {
  const config = Config.parse({ TROUPE_TASK_QUEUE: troupeQueue });
  const { workflowType, ...options } = runStartOptions(config, Spec.parse(spec), {}, workflowId);
  return client.workflow.start(workflowType, { ...options, workflowId });
}

function start(client: Client, shape: PeerShape, side: Side, workflowId: string): Promise<WorkflowHandle> {
  return side === 'troupe'
    ? startTroupe(client, shape.spec, workflowId)
    : client.workflow.start(shape.peer.workflow, { taskQueue: peerQueue, workflowId, args: shape.peer.args });
}

async function measure(client: Client, shape: PeerShape, side: Side, workflowId: string): Promise<Measure> {
  const before = rss();
  let peak = before;
  const sampler = setInterval(() => (peak = Math.max(peak, rss())), 50);
  const started = performance.now();
  const handle = await start(client, shape, side, workflowId);
  await handle.result();
  const wallMs = performance.now() - started;
  clearInterval(sampler);
  const history = await handle.fetchHistory();
  if (HISTORIES) {
    await mkdir(HISTORIES, { recursive: true });
    await writeFile(join(HISTORIES, `${workflowId}.json`), historyToJSON(history));
  }
  const events = history.events ?? [];
  const byType = new Map<string, number>();
  for (const event of events) {
    const name = eventTypeName(event.eventType);
    byType.set(name, (byType.get(name) ?? 0) + 1);
  }
  const modelActivity = side === 'troupe' ? 'callModel' : 'invokeModel';
  const scheduled = new Map(
    events.flatMap((event) =>
      event.activityTaskScheduledEventAttributes
        ? [[Number(event.eventId), event.activityTaskScheduledEventAttributes.activityType?.name]]
        : [],
    ),
  );
  const firstAnswer = events.find(
    (event) =>
      scheduled.get(Number(event.activityTaskCompletedEventAttributes?.scheduledEventId ?? -1)) ===
      modelActivity,
  );
  return {
    wallMs,
    events: events.length,
    bytes: proto.temporal.api.history.v1.History.encode(history).finish().length,
    byType,
    phases: phasesOf(events),
    firstAnswerMs: firstAnswer && events[0] ? eventMs(firstAnswer) - eventMs(events[0]) : Number.NaN,
    rssRunMiB: peak - before,
  };
}

/**
 * Time to first token as a client sees it: a Socket.IO client of the real API, subscribing to the run
 * as soon as it answers (as the console does after POST /api/runs), from the start request to the
 * first `run:tokens` chunk; and to the whole answer.
 */
async function firstTokenMs(client: Client, baseUrl: string, workflowId: string) {
  const socket = io(baseUrl, { transports: ['websocket'], reconnection: false });
  await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
  let firstAt: number | undefined;
  socket.on(LiveEvent.Tokens, () => (firstAt ??= performance.now()));
  const started = performance.now();
  const handle = await startTroupe(client, streamed.spec, workflowId);
  // The run answers its state query once its first workflow task is done: retry until it does.
  let ack: SubscribeAck = { ok: false, error: 'not yet' };
  for (let tries = 0; !ack.ok && tries < 100; tries += 1) {
    ack = (await socket
      .timeout(10_000)
      .emitWithAck(LiveEvent.Subscribe, { runId: workflowId })) as SubscribeAck;
    if (!ack.ok) await new Promise((resolve) => setTimeout(resolve, 20));
  }
  await handle.result();
  const wholeMs = performance.now() - started;
  socket.disconnect();
  return { firstMs: firstAt === undefined ? Number.NaN : firstAt - started, wholeMs };
}

export type PeerResult = { lines: string[]; timeRatio: number; eventRatio: number };

/** Runs the peer shapes `repeats` times on each side, in alternating order, and prints what it saw. */
export async function runPeerShapes(
  env: TestWorkflowEnvironment,
  troupeBundle: WorkflowBundle,
  repeats: number,
): Promise<PeerResult> {
  const fake = await startFakeModelServer({
    script: {
      models: { [MODEL]: { latencyMs: 20 } },
      defaultReply: reply,
      replies: [
        {
          match: { prompt: streamedPrompt },
          reply: range(streamed.tokens)
            .map((i) => `word${i}`)
            .join(' '),
          tokensPerSecond: streamed.tokensPerSecond,
        },
      ],
    },
  });
  const dataDir = await mkdtemp(join(tmpdir(), 'troupe-bench-peer-'));
  const modelEnv = { BENCH_MODEL_KEY: 'bench-key' };
  // One OpenAI-compatible provider with no limits on the scripted server, as the peer's provider is.
  const catalogue = buildCatalogue(
    {
      providers: [{ id: 'scripted', kind: 'openai', baseUrl: fake.openaiUrl, apiKeyEnv: 'BENCH_MODEL_KEY' }],
      models: [
        {
          id: MODEL,
          provider: 'scripted',
          contextTokens: 128_000,
          quality: 70,
          pricing: { inputPerMillion: 0.15, outputPerMillion: 0.6 },
        },
      ],
    },
    `${troupeQueue}-models`,
  );
  const peerBundle = await bundleAiSdkWorkflows(fake.openaiUrl);
  const client = env.client;
  const rssStart: Record<Side, number> = { troupe: 0, 'ai-sdk': 0 };
  const results: Record<Side, Measure[][]> = {
    troupe: peerShapes.map(() => []),
    'ai-sdk': peerShapes.map(() => []),
  };
  const ttft: { firstMs: number; wholeMs: number }[] = [];
  let before = settledRss();
  const troupe = await createTroupeWorkers({
    connection: env.nativeConnection,
    namespace: 'default',
    taskQueue: troupeQueue,
    dataDir,
    dataConverter: testDataConverter,
    pools: [PoolName.Orchestration, PoolName.CloudModels],
    models: createModelRuntime({ catalogue, env: modelEnv, dataDir }),
    workflowBundle: troupeBundle,
  });
  const troupeRunning = troupe.run();
  await measure(client, peerShapes[0]!, 'troupe', 'peer-warm-troupe');
  rssStart.troupe = settledRss() - before;
  before = settledRss();
  const peer = await createAiSdkWorker({
    connection: env.nativeConnection,
    taskQueue: peerQueue,
    baseURL: fake.openaiUrl,
    dataConverter: testDataConverter,
    workflowBundle: peerBundle,
  });
  const peerRunning = peer.run();
  try {
    await measure(client, peerShapes[0]!, 'ai-sdk', 'peer-warm-ai-sdk');
    rssStart['ai-sdk'] = settledRss() - before;
    const total = peerShapes.length * repeats * 2;
    let done = 0;
    for (const [index, shape] of peerShapes.entries()) {
      for (let repeat = 0; repeat < repeats; repeat++) {
        const order: Side[] = repeat % 2 === 0 ? ['ai-sdk', 'troupe'] : ['troupe', 'ai-sdk'];
        for (const side of order) {
          done += 1;
          process.stderr.write(`[peer ${done}/${total}] ${side.padEnd(6)} ${shape.name}\n`);
          results[side][index]!.push(await measure(client, shape, side, `peer-${side}-${index}-${repeat}`));
        }
      }
    }
    // Last, so the API's watcher does not share the machine with the measured runs.
    const api = await startApiServer({
      client,
      config: Config.parse({
        TEMPORAL_ADDRESS: env.address,
        TROUPE_TASK_QUEUE: troupeQueue,
        TROUPE_DATA_DIR: dataDir,
      }),
      api: ApiConfig.parse({ TROUPE_AUTH: 'off' }),
      port: 0,
      host: '127.0.0.1',
      log: () => undefined,
    });
    try {
      const baseUrl = `http://127.0.0.1:${(api.server.address() as AddressInfo).port}`;
      for (let repeat = 0; repeat < repeats; repeat++)
        ttft.push(await firstTokenMs(client, baseUrl, `peer-ttft-${repeat}`));
    } finally {
      await api.close();
    }
  } finally {
    troupe.shutdown();
    peer.shutdown();
    await Promise.all([troupeRunning, peerRunning]);
    await fake.close();
  }
  return report(results, rssStart, ttft, repeats);
}

function report(
  results: Record<Side, Measure[][]>,
  rssStart: Record<Side, number>,
  ttft: { firstMs: number; wholeMs: number }[],
  repeats: number,
): PeerResult {
  const rows: string[][] = [
    [
      'shape',
      'engine',
      'wall ms',
      'calls/s',
      'events/call',
      'bytes/call',
      'RSS start MiB',
      'RSS run MiB',
      'time ratio',
    ],
  ];
  let timeRatio = 0;
  let eventRatio = 0;
  const summaries = peerShapes.map((shape, index) => {
    const summary = (side: Side) => {
      const measures = results[side][index]!;
      const wall = median(measures.map((m) => m.wallMs));
      return {
        wall,
        rate: CALLS / (wall / 1000),
        events: measures[0]!.events / CALLS,
        bytes: measures[0]!.bytes / CALLS,
        rssRun: Math.max(...measures.map((m) => m.rssRunMiB)),
        firstAnswer: median(measures.map((m) => m.firstAnswerMs)),
        byType: measures[0]!.byType,
        phases: (key: keyof Phases) => median(measures.map((m) => m.phases[key])) / CALLS,
      };
    };
    const ours = summary('troupe');
    const theirs = summary('ai-sdk');
    const ratio = ours.wall / theirs.wall;
    timeRatio = Math.max(timeRatio, ratio);
    eventRatio = Math.max(eventRatio, ours.events / theirs.events);
    for (const [side, s] of [
      ['ai-sdk', theirs],
      ['troupe', ours],
    ] as const) {
      rows.push([
        shape.name,
        side,
        s.wall.toFixed(0),
        s.rate.toFixed(1),
        s.events.toFixed(2),
        s.bytes.toFixed(0),
        rssStart[side].toFixed(0),
        s.rssRun.toFixed(0),
        side === 'troupe' ? ratio.toFixed(2) : '',
      ]);
    }
    return { ours, theirs };
  });
  // Where the events go: the first shape's history, per call, by event type.
  const { ours, theirs } = summaries[0]!;
  const types = [...new Set([...ours.byType.keys(), ...theirs.byType.keys()])].sort();
  const profile = [
    ['events per call, by type', 'troupe', 'ai-sdk'],
    ...types.map((type) => [
      type,
      ((ours.byType.get(type) ?? 0) / CALLS).toFixed(2),
      ((theirs.byType.get(type) ?? 0) / CALLS).toFixed(2),
    ]),
  ];
  const phaseNames: [keyof Phases, string][] = [
    ['taskWait', 'workflow task, scheduled to started'],
    ['taskRun', 'workflow task, started to completed (local activities in it)'],
    ['dispatch', 'activity, scheduled to started'],
    ['activity', 'activity, started to completed (the model call)'],
  ];
  const phases = [
    [`ms per call (${peerShapes[0]!.name}, server clock)`, 'troupe', 'ai-sdk'],
    ...phaseNames.map(([key, title]) => [title, ours.phases(key).toFixed(1), theirs.phases(key).toFixed(1)]),
  ];
  const lines = [
    table(rows),
    '',
    `median of ${repeats} repeats; one client and dev server for both; the scripted model answers after 20 ms`,
    "RSS, in this process (it hosts both sides): start = its growth, GC'd before and after, while a side's workers start",
    'and serve a warm-up run; run = its largest growth during one measured run',
    '',
    table(profile),
    `(${peerShapes[0]!.name}, one run per side)`,
    '',
    table(phases),
    '',
    `time to first token seen by a client (1 call streaming ${streamed.tokens} tokens at ${streamed.tokensPerSecond}/s): ` +
      `troupe ${median(ttft.map((t) => t.firstMs)).toFixed(0)} ms (Socket.IO run:tokens after the start request; ` +
      `whole answer ${median(ttft.map((t) => t.wholeMs)).toFixed(0)} ms), ai-sdk n/a (no streaming)`,
    `first whole answer in history (${peerShapes[0]!.name}): troupe ${ours.firstAnswer.toFixed(0)} ms, ai-sdk ${theirs.firstAnswer.toFixed(0)} ms`,
  ];
  return { lines, timeRatio, eventRatio };
}
