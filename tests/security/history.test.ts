import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { requireTemporalCli } from '../../temporal/cli.mjs';
import { isClosed, postJson, readExample, waitForRun } from '../helpers/harness';
import { startStack, type Stack } from '../helpers/stack';

const run = promisify(execFile);
let stack: Stack;

beforeAll(async () => {
  stack = await startStack('history secrets');
});
afterAll(() => stack?.stop());

/** The whole history as an operator with Temporal access sees it: the CLI, without any codec. */
async function historyJson(workflowId: string): Promise<string> {
  const { stdout } = await run(
    requireTemporalCli(),
    ['workflow', 'show', '-w', workflowId, '--output', 'json', '--address', stack.env.address],
    { maxBuffer: 64 * 1024 * 1024 },
  );
  return stdout;
}

/** Every string in the JSON, and what it says read as base64: payload bytes print as base64. */
function readableTexts(json: string): string[] {
  const texts: string[] = [];
  const walk = (value: unknown): void => {
    if (typeof value === 'string') {
      texts.push(value);
      if (/^[A-Za-z0-9+/=_-]{8,}$/.test(value)) texts.push(Buffer.from(value, 'base64').toString('latin1'));
    } else if (Array.isArray(value)) value.forEach(walk);
    else if (value && typeof value === 'object') Object.values(value).forEach(walk);
  };
  walk(JSON.parse(json));
  return texts;
}

describe('workflow history', () => {
  it('holds no plaintext of a run’s secrets, step outputs or failure messages', async () => {
    const secret = `sk-live-${randomBytes(12).toString('hex')}`;
    const shouted = secret.toUpperCase();
    const spec = stringify({
      name: 'secret-env',
      steps: [
        {
          id: 'use',
          kind: 'tool',
          tool: 'shell',
          with: { run: `printf '%s' "$TOKEN" | tr a-z A-Z`, env: { TOKEN: '${{ input.token }}' } },
        },
        {
          id: 'leak',
          kind: 'tool',
          tool: 'shell',
          dependsOn: ['use'],
          with: { run: `printf 'failed near %s' "$TOKEN" >&2; exit 3`, env: { TOKEN: '${{ input.token }}' } },
        },
      ],
    });
    const started = await postJson(`${stack.api.baseUrl}/api/runs`, { spec, input: { token: secret } });
    expect(started.status).toBe(201);
    const runId = started.body.runId as string;
    const done = await waitForRun(stack.api, runId, isClosed);
    // The API, which holds the key, shows the real values.
    expect(done.steps.find((step) => step.id === 'use')?.output).toMatchObject({ stdout: shouted });
    expect(JSON.stringify(done)).toContain(secret);

    const history = await historyJson(runId);
    const texts = readableTexts(history);
    expect(texts).toContain('binary/encrypted');
    for (const plain of [secret, shouted, 'failed near']) {
      expect(texts.filter((text) => text.includes(plain))).toEqual([]);
    }
  });

  it('shows a finished hello.yaml run encrypted in history, and in clear through the codec endpoint', async () => {
    const started = await postJson(`${stack.api.baseUrl}/api/runs`, {
      spec: await readExample('hello.yaml'),
      input: { name: 'Ada Lovelace' },
    });
    const runId = started.body.runId as string;
    const done = await waitForRun(stack.api, runId, isClosed);
    expect(done.output).toBe('Hello, Ada Lovelace! (20 characters)');

    const history = JSON.parse(await historyJson(runId)) as {
      events: { workflowExecutionStartedEventAttributes?: { input?: { payloads?: unknown[] } } }[];
    };
    expect(readableTexts(JSON.stringify(history)).filter((text) => text.includes('Ada Lovelace'))).toEqual(
      [],
    );
    const payloads = history.events[0]?.workflowExecutionStartedEventAttributes?.input?.payloads;
    expect(payloads?.length).toBeGreaterThan(0);

    const decoded = await postJson(`${stack.api.baseUrl}/api/codec/decode`, { payloads });
    expect(decoded.status).toBe(200);
    const [first] = decoded.body.payloads as { metadata: Record<string, string>; data: string }[];
    expect(Buffer.from(first?.metadata.encoding ?? '', 'base64').toString()).toBe('json/plain');
    expect(Buffer.from(first?.data ?? '', 'base64').toString()).toContain('Ada Lovelace');
  });
});
