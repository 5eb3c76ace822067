import type { ChildProcess } from 'node:child_process';
import proto from '@temporalio/proto';
import { io } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunDeltaEvent, SubscribeAck } from '../../src/api/live-events';
import type { RunSnapshot } from '../../src/engine/run-snapshot';
import { startFakeModelServer, type FakeModelServer } from '../../src/fake-models/server';
import type { TokenChunk } from '../../src/models/token-stream';
import { CliEnv, createApiClient } from '../../src/cli/api-client';
import { followTokens } from '../../src/cli/follow-run';
import {
  isClosed,
  postJson,
  spawnWorker,
  startApiServerForTest,
  waitForRun,
  waitUntil,
  type Api,
} from '../helpers/harness';
import { startStack, type Stack } from '../helpers/stack';
import { shippedCatalogueOn, shippedModels } from '../models/helpers';

let stack: Stack;
let fake: FakeModelServer;
let modelEnv: Record<string, string>;

const words = (count: number) => Array.from({ length: count }, (_, index) => `word${index}`).join(' ');
const longReply = words(120);

beforeAll(async () => {
  fake = await startFakeModelServer();
  fake.setScript({
    models: shippedModels,
    replies: [
      // Slow enough that a client subscribed when the step starts sees the text arrive in pieces.
      { match: { prompt: 'stream slowly' }, reply: longReply, latencyMs: 2000, tokensPerSecond: 150 },
      { match: { prompt: 'short answer' }, reply: words(5), tokensPerSecond: 2000 },
      { match: { prompt: 'long answer' }, reply: words(3000), tokensPerSecond: 20_000 },
    ],
  });
  const shipped = shippedCatalogueOn(fake);
  modelEnv = shipped.env;
  stack = await startStack('token stream', { server: true, models: shipped.runtime });
});

afterAll(async () => {
  await stack?.stop();
  await fake?.close();
});

const askSpec = (prompt: string) => ({
  name: 'tokens',
  steps: [{ id: 'ask', kind: 'model', with: { prompt, policy: 'local-first', maxTokens: 4000 } }],
  output: '${{ steps.ask.output.text }}',
});

type Seen = { chunks: TokenChunk[]; stepDoneAt: number | undefined; firstChunkAt: number | undefined };

/** Starts a run and follows it over Socket.IO from its first step, collecting every token chunk. */
async function followRun(api: Api, prompt: string): Promise<{ final: RunSnapshot; seen: Seen }> {
  const started = await postJson(`${api.baseUrl}/api/runs`, { spec: askSpec(prompt) });
  expect(started.status, JSON.stringify(started.body)).toBe(201);
  const runId: string = started.body.runId;
  const seen: Seen = { chunks: [], stepDoneAt: undefined, firstChunkAt: undefined };
  const socket = io(api.baseUrl, { transports: ['websocket'], reconnection: false });
  socket.on('run:tokens', (chunk: TokenChunk) => {
    seen.firstChunkAt ??= Date.now();
    seen.chunks.push(chunk);
  });
  socket.on('run:delta', (delta: RunDeltaEvent) => {
    if (delta.steps.some((step) => step.id === 'ask' && step.status === 'completed'))
      seen.stepDoneAt ??= Date.now();
  });
  await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
  // The worker may still be starting: retry until the run answers its query.
  let ack: SubscribeAck = { ok: false, error: 'not yet' };
  for (let tries = 0; !ack.ok && tries < 50; tries += 1) {
    ack = (await socket.timeout(10_000).emitWithAck('subscribe', { runId })) as SubscribeAck;
    if (!ack.ok) await new Promise((resolve) => setTimeout(resolve, 200));
  }
  expect(ack.ok).toBe(true);
  const final = await waitForRun(api, runId, isClosed);
  await waitUntil(() => seen.chunks.some((chunk) => chunk.done), { timeoutMs: 30_000 });
  socket.disconnect();
  return { final, seen };
}

/** The chunks of the call that finished, checked to join end to end, as text. */
function joinedText(chunks: TokenChunk[]): string {
  const finished = chunks.find((chunk) => chunk.done);
  expect(finished, 'a done chunk').toBeDefined();
  const call = chunks.filter((chunk) => chunk.stream === finished?.stream);
  let text = '';
  for (const chunk of call) {
    expect(chunk.offset, 'each chunk starts where the last one ended').toBe(text.length);
    expect(chunk).toMatchObject({ stepId: 'ask', modelId: 'qwen2.5-coder:7b' });
    text += chunk.text;
  }
  expect(call.at(-1)?.done).toBe(true);
  return text;
}

const workflowTaskEvents = new Set<number>([
  proto.temporal.api.enums.v1.EventType.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED,
  proto.temporal.api.enums.v1.EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED,
  proto.temporal.api.enums.v1.EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED,
  proto.temporal.api.enums.v1.EventType.EVENT_TYPE_WORKFLOW_TASK_TIMED_OUT,
  proto.temporal.api.enums.v1.EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED,
]);

describe('token streaming over Socket.IO', () => {
  it('sends a model step its text as it streams, gapless, before the step completes', async () => {
    const { final, seen } = await followRun(stack.api, 'stream slowly');
    expect(final.status).toBe('completed');
    // The scripted server marks its answers "[simulated] ".
    expect(final.output).toBe(`[simulated] ${longReply}`);
    expect(joinedText(seen.chunks)).toBe(final.output);
    // Batched, not one message per token, and not one message for the whole answer either.
    const count = seen.chunks.filter((chunk) => chunk.text).length;
    expect(count).toBeGreaterThan(3);
    expect(count).toBeLessThan(120);
    expect(seen.firstChunkAt).toBeLessThan(seen.stepDoneAt ?? Infinity);
  });

  it('catches a late subscriber up with the text so far, then streams on without a gap', async () => {
    const started = await postJson(`${stack.api.baseUrl}/api/runs`, { spec: askSpec('stream slowly') });
    const runId: string = started.body.runId;
    const connect = async () => {
      const socket = io(stack.api.baseUrl, { transports: ['websocket'], reconnection: false });
      const chunks: TokenChunk[] = [];
      socket.on('run:tokens', (chunk: TokenChunk) => chunks.push(chunk));
      await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
      const ack = (await socket.timeout(10_000).emitWithAck('subscribe', { runId })) as SubscribeAck;
      expect(ack.ok).toBe(true);
      return { socket, chunks };
    };
    await waitForRun(stack.api, runId, (run) => run.steps[0]?.status === 'running');
    const early = await connect();
    await waitUntil(() => early.chunks.filter((chunk) => chunk.text).length >= 3, { timeoutMs: 30_000 });
    const late = await connect();
    const final = await waitForRun(stack.api, runId, isClosed);
    await waitUntil(() => late.chunks.some((chunk) => chunk.done), { timeoutMs: 30_000 });
    for (const { socket } of [early, late]) socket.disconnect();
    expect(final.status).toBe('completed');
    expect(late.chunks[0]?.offset).toBe(0);
    expect(late.chunks[0]?.text.length).toBeGreaterThan(0);
    expect(joinedText(late.chunks)).toBe(final.output);
  });

  it('shows the CLI what a running step is writing (troupe run --follow)', async () => {
    const started = await postJson(`${stack.api.baseUrl}/api/runs`, { spec: askSpec('stream slowly') });
    const runId: string = started.body.runId;
    const seen: string[] = [];
    await waitForRun(stack.api, runId, (run) => run.steps[0]?.status === 'running');
    const stop = followTokens(
      createApiClient(CliEnv.parse({ TROUPE_API_URL: stack.api.baseUrl })),
      runId,
      (stepId, text) => seen.push(`${stepId}: ${text}`),
    );
    try {
      const final = await waitForRun(stack.api, runId, isClosed);
      await waitUntil(() => seen.at(-1)?.endsWith(String(final.output).slice(-20)) ?? false, {
        timeoutMs: 30_000,
      });
      expect(seen.length).toBeGreaterThan(3);
      expect(seen.at(-1)).toBe(`ask: ${String(final.output).slice(-192)}`);
    } finally {
      stop();
    }
  });

  it('grows history by no more events for 3,000 words than for 5', async () => {
    // Both answers carry the scripted server's "[simulated]" mark: one word more each.
    const eventCount = async (prompt: string) => {
      const started = await postJson(`${stack.api.baseUrl}/api/runs`, { spec: askSpec(prompt) });
      const final = await waitForRun(stack.api, started.body.runId as string, isClosed);
      expect(final.status).toBe('completed');
      const history = await stack.env.client.workflow.getHandle(final.runId).fetchHistory();
      // Workflow-task events depend on the worker's timing (a sticky task that timed out on a busy
      // machine is scheduled twice), not on the answer: count the events the run itself made.
      const own = (history.events ?? []).filter(({ eventType }) => !workflowTaskEvents.has(eventType ?? 0));
      return { events: own.length, output: String(final.output) };
    };
    const short = await eventCount('short answer');
    const long = await eventCount('long answer');
    expect(long.output.split(' ')).toHaveLength(3001);
    expect(short.events).toBeGreaterThan(0);
    // A search-attribute upsert may be split over two workflow tasks or share one, so a run's event
    // count varies by one or two; 3,000 tokens through history would add hundreds.
    expect(Math.abs(long.events - short.events)).toBeLessThanOrEqual(2);
  });

  it(
    'carries tokens from a worker in another process to the API through Redis',
    { timeout: 120_000 },
    async () => {
      const redisUrl = 'redis://127.0.0.1:6379';
      const api = await startApiServerForTest(stack.env, 'token stream redis', {
        apiEnv: { REDIS_URL: redisUrl },
      });
      let worker: ChildProcess | undefined;
      try {
        worker = spawnWorker(stack.env, api, { ...modelEnv, REDIS_URL: redisUrl });
        const { final, seen } = await followRun(api, 'stream slowly');
        expect(final.status).toBe('completed');
        expect(joinedText(seen.chunks)).toBe(final.output);
        expect(seen.firstChunkAt).toBeLessThan(seen.stepDoneAt ?? Infinity);
      } finally {
        worker?.kill('SIGTERM');
        await api.close();
      }
    },
  );
});
