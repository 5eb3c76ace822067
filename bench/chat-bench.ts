/// <reference lib="dom" />
/**
 * `npm run bench:chat`: chat on the real stack (dev server, in-process workers, the whole API with
 * Socket.IO, the scripted model server), measuring
 * 1. time to first token in real Chromium (the page sends the message and watches the session over
 *    Socket.IO), less the scripted model's own first-token time (its first byte out less the request in);
 * 2. message-accept latency: POST .../messages, which is the sendMessage Update, until it is acknowledged;
 * 3. BENCH_CHAT_SESSIONS (100) sessions at once, each sending BENCH_CHAT_MESSAGES (10) messages, one after
 *    the other's answer, each watched over Socket.IO: throughput, and history events per message.
 */
import { fileURLToPath } from 'node:url';
import { io, type Socket } from 'socket.io-client';
import type { ChatDeltaEvent } from '../src/api/chat-live';
import { startFakeModelServer } from '../src/fake-models/server';
import { postJson } from '../tests/helpers/harness';
import { startStack } from '../tests/helpers/stack';
import { shippedCatalogueOn, shippedModels } from '../tests/models/helpers';
import { launchChromium } from '../tests/ui/ui-stack';
import { percentile, table } from './bench-support';

const SESSIONS = Number(process.env.BENCH_CHAT_SESSIONS ?? 100);
const MESSAGES = Number(process.env.BENCH_CHAT_MESSAGES ?? 10);
const TTFT_SAMPLES = Number(process.env.BENCH_CHAT_TTFT ?? 40);
const reply = Array.from({ length: 20 }, (_, index) => `word${index}`).join(' ');
const socketIoBundle = fileURLToPath(
  new URL('../node_modules/socket.io-client/dist/socket.io.min.js', import.meta.url),
);

type BrowserSample = { sendAt: number; ackAt: number; firstTokenAt: number; turn: string };

const fmt = (value: number) => `${value.toFixed(1)} ms`;
const p = (values: number[], at: number) =>
  percentile(
    [...values].sort((a, b) => a - b),
    at,
  );

async function main() {
  const fake = await startFakeModelServer({
    script: {
      models: Object.fromEntries(Object.keys(shippedModels).map((id) => [id, { tokensPerSecond: 1000 }])),
      replies: [{ match: { prompt: 'bench' }, reply }],
    },
  });
  const stack = await startStack('chat bench', {
    server: true,
    agents: true,
    models: shippedCatalogueOn(fake).runtime,
  });
  const base = stack.api.baseUrl;
  const newSession = async () => {
    const created = await postJson(`${base}/api/chat/sessions`, {});
    if (created.status !== 201) throw new Error(`cannot create a session: ${JSON.stringify(created.body)}`);
    return (created.body as { sessionId: string }).sessionId;
  };
  const rows: string[][] = [['measure', 'p50', 'p95', 'target']];
  const browser = await launchChromium();
  let overheadP95 = Number.NaN;
  let acceptP95 = Number.NaN;
  try {
    // 1 and 2: one session in Chromium, one message at a time.
    const sessionId = await newSession();
    const context = await browser.newContext({ bypassCSP: true });
    // tsx names functions with a `__name` helper the page lacks: give it a no-op one.
    await context.addInitScript({ content: 'window.__name = (fn) => fn;' });
    const page = await context.newPage();
    await page.goto(`${base}/healthz`);
    await page.addScriptTag({ path: socketIoBundle });
    await page.evaluate(async (id) => {
      const w = window as unknown as {
        io: (url: string, options: object) => Socket;
        bench: { firstToken: number[]; done: Set<string>; socket: Socket };
      };
      const socket = w.io(location.origin, { transports: ['websocket'] });
      const bench = { firstToken: [] as number[], done: new Set<string>(), socket };
      w.bench = bench;
      socket.on('chat:tokens', () => bench.firstToken.push(performance.timeOrigin + performance.now()));
      socket.on('chat:delta', (delta: ChatDeltaEvent) => {
        for (const entry of delta.messages)
          if (entry.role === 'user' && entry.status === 'done') bench.done.add(entry.id);
      });
      await socket.emitWithAck('chat:subscribe', { sessionId: id });
    }, sessionId);
    const samples: BrowserSample[] = [];
    for (let index = 0; index < TTFT_SAMPLES + 3; index += 1) {
      const sample = await page.evaluate(
        async ({ id, text }) => {
          const bench = (window as unknown as { bench: { firstToken: number[]; done: Set<string> } }).bench;
          const now = () => performance.timeOrigin + performance.now();
          bench.firstToken.length = 0;
          const sendAt = now();
          const response = await fetch(`/api/chat/sessions/${id}/messages`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ text, agent: 'tester' }),
          });
          const ackAt = now();
          const { message } = (await response.json()) as { message: { id: string } };
          while (!bench.done.has(message.id)) await new Promise((resolve) => setTimeout(resolve, 5));
          return { sendAt, ackAt, firstTokenAt: bench.firstToken[0] ?? Number.NaN, turn: message.id };
        },
        { id: sessionId, text: `bench ttft ${index}` },
      );
      if (index >= 3) samples.push(sample); // the first three warm the worker's caches
    }
    await context.close();
    const model = (index: number) =>
      fake.requests.find((request) => request.prompt === `bench ttft ${index}`) ?? {
        receivedAt: Number.NaN,
        firstByteAt: Number.NaN,
      };
    const ttft = samples.map((sample) => sample.firstTokenAt - sample.sendAt);
    const modelTtft = samples.map((_, index) => {
      const { receivedAt = 0, firstByteAt = 0 } = model(index + 3);
      return firstByteAt - receivedAt;
    });
    const overhead = ttft.map((value, index) => value - (modelTtft[index] ?? 0));
    const toModel = samples.map((sample, index) => (model(index + 3).receivedAt ?? 0) - sample.sendAt);
    const toBrowser = samples.map(
      (sample, index) => sample.firstTokenAt - (model(index + 3).firstByteAt ?? 0),
    );
    const accept = samples.map((sample) => sample.ackAt - sample.sendAt);
    overheadP95 = p(overhead, 95);
    acceptP95 = p(accept, 95);
    const row = (name: string, values: number[], target = '') => [
      `${name} (${values.length})`,
      fmt(p(values, 50)),
      fmt(p(values, 95)),
      target,
    ];
    rows.push(row('first token in Chromium, from send', ttft));
    rows.push(row("  the scripted model's own first token", modelTtft));
    rows.push(row('  send -> model asked (Update, workflow, activity)', toModel));
    rows.push(row('  model first byte -> token in Chromium', toBrowser));
    rows.push(row('first-token overhead', overhead, '< 50 ms'));
    rows.push(row('message accept (Update -> ack), from Chromium', accept, '< 100 ms'));

    // 3: many sessions at once, each watched over Socket.IO as a browser would.
    // Started ten at a time, each until it answers: a session's first task builds its sandbox, which is
    // the costly part of a session's life, and is not what this measures.
    const ids: string[] = [];
    while (ids.length < SESSIONS) {
      const batch = await Promise.all(
        Array.from({ length: Math.min(10, SESSIONS - ids.length) }, newSession),
      );
      await Promise.all(batch.map((id) => readable(base, id)));
      ids.push(...batch);
    }
    const accepts: number[] = [];
    const started = performance.now();
    await Promise.all(ids.map((id) => converse(base, id, accepts)));
    const seconds = (performance.now() - started) / 1000;
    const events = await Promise.all(
      ids.map(
        async (id) => (await stack.env.client.workflow.getHandle(id).fetchHistory()).events?.length ?? 0,
      ),
    );
    const total = SESSIONS * MESSAGES;
    rows.push(row(`message accept under load (${SESSIONS} sessions)`, accepts));
    rows.push([
      `${SESSIONS} sessions x ${MESSAGES} messages: throughput`,
      `${(total / seconds).toFixed(1)} msg/s`,
      `${seconds.toFixed(1)} s in all`,
      '',
    ]);
    rows.push([
      'history events per message',
      (events.reduce((sum, value) => sum + value, 0) / total).toFixed(1),
      '',
      '',
    ]);
  } finally {
    await browser.close();
    await stack.stop();
    await fake.close();
  }
  console.log(table(rows));
  console.log(
    `chat first-token overhead p95 ms: ${overheadP95.toFixed(1)}, accept p95 ms: ${acceptP95.toFixed(1)}, sessions: ${SESSIONS}`,
  );
}

async function readable(base: string, sessionId: string): Promise<void> {
  for (let tries = 0; tries < 600; tries += 1) {
    if ((await fetch(`${base}/api/chat/sessions/${sessionId}`)).ok) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`session ${sessionId} never answered`);
}

/** One user: sends a message, waits for its answer over Socket.IO, and again, MESSAGES times. */
async function converse(base: string, sessionId: string, accepts: number[]): Promise<void> {
  const socket = io(base, { transports: ['websocket'], reconnection: false });
  const done = new Set<string>();
  let wake: () => void = () => undefined;
  socket.on('chat:delta', (delta: ChatDeltaEvent) => {
    for (const entry of delta.messages)
      if (entry.role === 'user' && ['done', 'failed', 'cancelled'].includes(entry.status)) done.add(entry.id);
    wake();
  });
  try {
    await socket.timeout(60_000).emitWithAck('chat:subscribe', { sessionId });
    for (let index = 0; index < MESSAGES; index += 1) {
      const sendAt = performance.now();
      const sent = await postJson(`${base}/api/chat/sessions/${sessionId}/messages`, {
        text: `bench load ${index}`,
        agent: 'tester',
      });
      accepts.push(performance.now() - sendAt);
      if (sent.status !== 202) throw new Error(`message refused: ${JSON.stringify(sent.body)}`);
      const turn = (sent.body as { message: { id: string } }).message.id;
      while (!done.has(turn)) {
        const woken = await Promise.race([
          new Promise<boolean>((resolve) => (wake = () => resolve(true))),
          new Promise<boolean>((resolve) => setTimeout(() => resolve(false), 5_000)),
        ]);
        // No delta for 5 s: read the session, in case one was missed.
        if (!woken) {
          const session = (await (await fetch(`${base}/api/chat/sessions/${sessionId}`)).json()) as {
            messages: { id: string; status: string }[];
          };
          const entry = session.messages.find((message) => message.id === turn);
          if (entry && ['done', 'failed', 'cancelled'].includes(entry.status)) done.add(turn);
        }
      }
    }
  } finally {
    socket.close();
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
