import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeModelServer, type FakeModelServer } from '../../src/fake-models/server';
import { loadCatalogue } from '../../src/models/catalogue-loader';
import { createModelRuntime } from '../../src/models/model-runtime';
import { requireTemporalCli } from '../../temporal/cli.mjs';
import { isClosed, postJson, readExample, waitForRun } from '../helpers/harness';
import { startStack, type Stack } from '../helpers/stack';
import { shippedModels } from '../models/helpers';

// The worker's provider key must never enter a payload, a log line, an error message or a command's
// environment. A distinctive key is used for real calls, failing calls and an agent's commands; then
// every place a person could read is scanned for it.
const providerKey = `sk-provider-${randomBytes(16).toString('hex')}`;
process.env.OPENAI_API_KEY = providerKey;
const execFileAsync = promisify(execFile);

let stack: Stack;
let fake: FakeModelServer;
let proxy: Server;
const authorizations: string[] = [];
const logs: string[] = [];
const restoreWrites: (() => void)[] = [];

/** Everything this process prints (the in-process API and workers log here), kept for the scan. */
function captureOutput(): void {
  for (const stream of [process.stdout, process.stderr]) {
    const write = stream.write.bind(stream) as (...args: unknown[]) => boolean;
    stream.write = (...args: unknown[]) => {
      logs.push(String(args[0]));
      return write(...args);
    };
    restoreWrites.push(() => (stream.write = write));
  }
  for (const level of ['log', 'info', 'warn', 'error', 'debug'] as const) {
    const original = console[level].bind(console);
    console[level] = (...args: unknown[]) => {
      logs.push(
        args.map((arg) => (arg instanceof Error ? `${arg.message}\n${arg.stack}` : String(arg))).join(' '),
      );
      original(...args);
    };
    restoreWrites.push(() => (console[level] = original));
  }
}

beforeAll(async () => {
  captureOutput();
  fake = await startFakeModelServer({ script: { models: shippedModels, replies: [] } });
  // Stands between the OpenAI client and the scripted server, to prove the key was really sent.
  const upstream = new URL(fake.url);
  proxy = createServer((req, res) => {
    authorizations.push(req.headers.authorization ?? '');
    const forward = request(
      {
        host: upstream.hostname,
        port: upstream.port,
        path: req.url,
        method: req.method,
        headers: req.headers,
      },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    req.pipe(forward);
  });
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  const proxyUrl = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
  const env = { OLLAMA_HOST: fake.url, OPENAI_BASE_URL: `${proxyUrl}/v1`, OPENAI_API_KEY: providerKey };
  stack = await startStack('provider keys', {
    agents: true,
    models: ({ config }) =>
      createModelRuntime({
        catalogue: loadCatalogue({ env, taskQueuePrefix: `${config.TROUPE_TASK_QUEUE}-models` }),
        env,
        dataDir: config.TROUPE_DATA_DIR,
      }),
  });
}, 120_000);

afterAll(async () => {
  await stack?.stop();
  await fake?.close();
  await new Promise((resolve) => proxy?.close(resolve));
  for (const restore of restoreWrites.reverse()) restore();
});

async function run(spec: unknown, input: Record<string, unknown> = {}) {
  const started = await postJson(`${stack.api.baseUrl}/api/runs`, { spec, input });
  expect(started.status, JSON.stringify(started.body)).toBe(201);
  return waitForRun(stack.api, started.body.runId as string, isClosed, 120_000);
}

const temporal = async (...args: string[]) =>
  (
    await execFileAsync(requireTemporalCli(), [...args, '--address', stack.env.address], {
      maxBuffer: 64 * 1024 * 1024,
    })
  ).stdout;

/** Every payload (`{metadata, data}`) in a history, decoded by the API's codec endpoint. */
async function decodedPayloads(history: unknown): Promise<string> {
  const payloads: unknown[] = [];
  const walk = (value: unknown): void => {
    if (Array.isArray(value)) value.forEach(walk);
    else if (value && typeof value === 'object') {
      if ('data' in value && 'metadata' in value) payloads.push(value);
      else Object.values(value).forEach(walk);
    }
  };
  walk(history);
  const decoded = await postJson(`${stack.api.baseUrl}/api/codec/decode`, { payloads });
  expect(decoded.status).toBe(200);
  return (decoded.body.payloads as { data: string }[])
    .map((payload) => Buffer.from(payload.data, 'base64').toString('utf8'))
    .join('\n');
}

/** The text of every file under a folder: workspaces, blobs, status files, ledgers. */
async function filesUnder(dir: string): Promise<string> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true }).catch(() => []);
  const texts = await Promise.all(
    entries
      .filter((entry) => entry.isFile())
      .map((entry) => readFile(join(entry.parentPath, entry.name), 'latin1').catch(() => '')),
  );
  return texts.join('\n');
}

describe('the provider key', () => {
  it('is sent to the provider, and is nowhere in history, logs, errors, answers, files or commands', async () => {
    const local = { 'qwen2.5-coder:7b': { status: 500 }, 'llama3.1:8b': { status: 500 } };
    // A call that fails over to the keyed provider and succeeds.
    fake.setScript({ models: { ...shippedModels, ...local } });
    const answered = await run(await readExample('ask.yaml'), { question: 'which provider?' });
    expect(answered.status, answered.error).toBe('completed');
    expect(answered.steps[0]?.model?.provider).toBe('openai');
    // Calls the keyed provider refuses, so its errors travel through the step record and history.
    const refused = Object.fromEntries(Object.keys(shippedModels).map((id) => [id, { status: 401 }]));
    fake.setScript({ models: { ...shippedModels, ...refused } });
    const failed = await run(await readExample('ask.yaml'), { question: 'refused?' });
    expect(failed.status).toBe('failed');
    expect(JSON.stringify(failed)).toMatch(/401/);
    // An agent (on the keyed provider) whose command prints its whole environment.
    fake.setScript({
      models: { ...shippedModels, ...local },
      replies: [
        {
          match: { agent: 'debugger', prompt: '[dump turn 1]' },
          toolCalls: [
            {
              name: 'run_command',
              arguments: {
                program: 'node',
                args: [
                  '-e',
                  "const t = JSON.stringify(process.env); require('fs').writeFileSync('env.json', t); console.log(t)",
                ],
              },
            },
          ],
        },
        {
          match: { agent: 'debugger', prompt: '[dump turn 2]' },
          json: { rootCause: 'none', fix: 'none', filesChanged: [], testsPass: true },
        },
      ],
    });
    const dumped = await run({
      name: 'env-dump',
      steps: [{ id: 'dump', kind: 'agent', agent: 'debugger', with: { task: 'Print the environment.' } }],
    });
    expect(dumped.status, dumped.error).toBe('completed');
    expect(dumped.steps[0]?.output).toMatchObject({ toolCalls: [{ tool: 'run_command', ok: true }] });
    const dump = await readFile(
      join(stack.api.config.TROUPE_DATA_DIR, 'workspaces', dumped.runId, 'env.json'),
      'utf8',
    );
    expect(dump).toContain('TROUPE_RUN_ID');

    expect(authorizations).toContain(`Bearer ${providerKey}`);
    const places: Record<string, string> = { logs: logs.join('\n') };
    const listed = JSON.parse(
      `[${(await temporal('workflow', 'list', '--output', 'jsonl')).trim().split('\n').join(',')}]`,
    ) as {
      execution: { workflowId: string };
    }[];
    expect(listed.length).toBeGreaterThanOrEqual(3);
    for (const { execution } of listed) {
      const history = await temporal('workflow', 'show', '-w', execution.workflowId, '--output', 'json');
      places[`history of ${execution.workflowId}`] = history;
      places[`decoded history of ${execution.workflowId}`] = await decodedPayloads(JSON.parse(history));
    }
    for (const path of [
      ...[answered, failed, dumped].map((one) => `/api/runs/${one.runId}`),
      '/api/runs',
      '/api/models?refresh=true',
      '/readyz',
      '/metrics',
    ]) {
      places[`GET ${path}`] = await (await fetch(`${stack.api.baseUrl}${path}`)).text();
    }
    places['data folder'] = await filesUnder(stack.api.config.TROUPE_DATA_DIR);
    // The scan reads what it claims to: payloads in clear, and the command's dump among the files.
    expect(places[`decoded history of ${answered.runId}`]).toContain('which provider?');
    expect(places['data folder']).toContain('TROUPE_IDEMPOTENCY_KEY');
    const leaks = Object.entries(places)
      .filter(([, text]) => text.includes(providerKey) || text.includes(providerKey.slice(3)))
      .map(([where]) => where);
    expect(leaks).toEqual([]);
  }, 300_000);
});
