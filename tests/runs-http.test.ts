import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { Connection, Client } from '@temporalio/client';
import { createApp } from '../src/api/app';
import { Config } from '../src/config';
import { TroupeStatus } from '../src/engine/search-attributes';
import { startStack, type Stack } from './helpers/stack';
import { isClosed, postJson, readExample, waitForRun, waitForRunEnded, type Api } from './helpers/harness';
import { testDataConverter } from './helpers/payload-codec';

let stack: Stack;
let env: TestWorkflowEnvironment;
let api: Api;

beforeAll(async () => {
  stack = await startStack('runs over http');
  ({ env, api } = stack);
});

afterAll(() => stack?.stop());

const shellStep = (id: string, run: string, extra: Record<string, unknown> = {}) => ({
  id,
  kind: 'tool',
  tool: 'shell',
  with: { run },
  ...extra,
});

describe('POST /api/runs and GET /api/runs/:runId', () => {
  it('runs examples/hello.yaml to completion, the second step building on the first', async () => {
    const started = await postJson(`${api.baseUrl}/api/runs`, {
      spec: await readExample('hello.yaml'),
      input: { name: 'world' },
    });
    expect(started.status).toBe(201);
    expect(started.body.runId).toMatch(/^hello-[0-9a-f]{8}$/);
    expect(started.body.temporalUrl).toBe(
      `http://localhost:8233/namespaces/default/workflows/${started.body.runId}`,
    );

    const run = await waitForRun(api, started.body.runId, isClosed);
    expect(run.status).toBe('completed');
    expect(run.steps.map((step) => [step.id, step.status])).toEqual([
      ['greet', 'completed'],
      ['measure', 'completed'],
    ]);
    const [greet, measure] = run.steps.map((step) => (step.output as { stdout: string }).stdout);
    expect(greet).toBe('Hello, world!');
    expect(measure).toContain(greet);
    expect(run.output).toBe('Hello, world! (13 characters)');
  });

  it('passes input to commands as data, so shell syntax in it is never executed', async () => {
    const name = '$(touch pwned); `id`';
    const started = await postJson(`${api.baseUrl}/api/runs`, {
      spec: await readExample('hello.yaml'),
      input: { name },
    });
    const run = await waitForRun(api, started.body.runId, isClosed);
    expect(run.output).toBe(`Hello, ${name}! (${`Hello, ${name}!`.length} characters)`);
  });

  it('runs independent steps concurrently and joins them', async () => {
    const spec = {
      name: 'join',
      steps: [
        shellStep('left', 'sleep 1; printf L'),
        shellStep('right', 'sleep 1; printf R'),
        {
          ...shellStep('both', 'printf "%s%s" "$A" "$B"'),
          dependsOn: ['left', 'right'],
          with: {
            run: 'printf "%s%s" "$A" "$B"',
            env: { A: '${{ steps.left.output.stdout }}', B: '${{ steps.right.output.stdout }}' },
          },
        },
      ],
    };
    const started = await postJson(`${api.baseUrl}/api/runs`, { spec });
    const run = await waitForRun(api, started.body.runId, isClosed);
    expect(run.output).toEqual({ stdout: 'LR', stderr: '', exitCode: 0 });
    const [left, right] = run.steps;
    expect(Date.parse(right!.startedAt!)).toBeLessThan(Date.parse(left!.endedAt!));
  });

  it('fails the run when a command fails, naming the step, the exit code and stderr, and skips what depends on it', async () => {
    const spec = {
      name: 'broken',
      steps: [
        shellStep('boom', 'echo "disk is full" >&2; exit 3'),
        { ...shellStep('after', 'true'), dependsOn: ['boom'] },
      ],
    };
    const started = await postJson(`${api.baseUrl}/api/runs`, { spec });
    const run = await waitForRun(api, started.body.runId, isClosed);
    expect(run.status).toBe('failed');
    expect(run.error).toBe('step "boom" failed: the command exited with code 3: disk is full');
    expect(run.steps[0]).toMatchObject({ status: 'failed', attempts: 1 });
    expect(run.steps[1]).toMatchObject({ status: 'skipped' });
  });

  it('fails a step whose template reads input that was not given, in a spec that declares no inputs', async () => {
    const hello = parse(await readExample('hello.yaml')) as Record<string, unknown>;
    delete hello.inputs;
    const started = await postJson(`${api.baseUrl}/api/runs`, { spec: hello });
    const run = await waitForRun(api, started.body.runId, isClosed);
    expect(run.status).toBe('failed');
    expect(run.steps[0]?.error).toBe('No such key: name (in ${{ input.name }})');
  });

  it('keeps the status search attribute in step with the open run, and leaves the close to Temporal', async () => {
    const started = await postJson(`${api.baseUrl}/api/runs`, {
      spec: await readExample('hello.yaml'),
      input: { name: 'sa' },
    });
    await waitForRun(api, started.body.runId, isClosed);
    await waitForRunEnded(env, api, started.body.runId);
    const description = await env.client.workflow.getHandle(started.body.runId).describe();
    // Layout 2: the run ends without writing TroupeStatus; Temporal's close status says how it ended.
    expect(description.typedSearchAttributes.get(TroupeStatus)).toBe('running');
    expect(description.status.name).toBe('COMPLETED');
    expect(description.memo).toEqual({ title: 'Greet someone, then measure the greeting.' });
  });

  it('answers 404 problem+json for a run that does not exist', async () => {
    const response = await fetch(`${api.baseUrl}/api/runs/no-such-run`);
    expect(response.status).toBe(404);
    expect(response.headers.get('content-type')).toContain('application/problem+json');
    expect(((await response.json()) as { detail: string }).detail).toBe('no run with id "no-such-run"');
  });

  it('reads a closed run from its recorded result when no worker is running', async () => {
    const started = await postJson(`${api.baseUrl}/api/runs`, {
      spec: await readExample('hello.yaml'),
      input: { name: 'later' },
    });
    await waitForRunEnded(env, api, started.body.runId);
    await stack.stopWorker();
    try {
      const response = await fetch(`${api.baseUrl}/api/runs/${started.body.runId}`);
      expect(response.status).toBe(200);
      expect(((await response.json()) as { output: string }).output).toBe('Hello, later! (13 characters)');
    } finally {
      await stack.startWorker();
    }
  });
});

describe('GET /healthz', () => {
  it('answers 200 when Temporal is up', async () => {
    const response = await fetch(`${api.baseUrl}/healthz`);
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ status: 'ok', temporal: 'ok', namespace: 'default' });
  });

  it('answers 503 with the reason when Temporal is unreachable', async () => {
    const connection = Connection.lazy({ address: '127.0.0.1:1' });
    const config = Config.parse({ TEMPORAL_ADDRESS: '127.0.0.1:1' });
    const server = createApp({
      client: new Client({ connection, dataConverter: testDataConverter }),
      config,
    }).listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    try {
      const { port } = server.address() as { port: number };
      const response = await fetch(`http://127.0.0.1:${port}/healthz`);
      expect(response.status).toBe(503);
      expect(((await response.json()) as { detail: string }).detail).toMatch(
        /^Temporal is not reachable \(namespace "default"\): /,
      );
    } finally {
      server.close();
      server.closeAllConnections();
    }
  });
});
