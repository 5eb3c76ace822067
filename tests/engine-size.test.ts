import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import proto from '@temporalio/proto';
import type { RunSnapshot } from '../src/engine/run-snapshot';
import { startStack, type Stack } from './helpers/stack';
import { isClosed, postJson, waitForRun, type Api } from './helpers/harness';

let stack: Stack;
let api: Api;

beforeAll(async () => {
  stack = await startStack('engine size');
  ({ api } = stack);
});

afterAll(() => stack?.stop());

async function start(spec: unknown, input: Record<string, unknown> = {}): Promise<string> {
  const response = await postJson(`${api.baseUrl}/api/runs`, { spec, input });
  expect(response.status, JSON.stringify(response.body)).toBe(201);
  return response.body.runId as string;
}

const printing = (name: string, items: number) => ({
  name,
  maxParallel: 1,
  steps: [
    {
      id: 'print',
      kind: 'tool',
      tool: 'shell',
      foreach: { items: `${JSON.stringify(Array.from({ length: items }, (_, i) => i))}`, parallelism: 20 },
      with: { run: 'head -c 102400 /dev/zero | tr "\\0" x' },
    },
    {
      id: 'count',
      kind: 'tool',
      tool: 'noop',
      dependsOn: ['print'],
      with: { items: '${{ size(steps.print.output) }}' },
    },
  ],
});

describe('large foreach outputs', () => {
  it('completes foreach runs of 200 and 40 steps that each print 100 KB, and their pages answer throughout', async () => {
    const ids = [await start(printing('print200', 200)), await start(printing('print40', 40))];
    const pages: number[] = [];
    const runs: RunSnapshot[] = await Promise.all(
      ids.map((runId) =>
        waitForRun(
          api,
          runId,
          (run) => {
            pages.push(run.steps[0]?.items?.done ?? 0);
            return isClosed(run);
          },
          150_000,
        ),
      ),
    );
    for (const run of runs) {
      expect(run.status, run.error).toBe('completed');
      expect(run.steps[0]?.status).toBe('completed');
    }
    expect(runs.map((run) => run.output)).toEqual([{ items: 200 }, { items: 40 }]);
    // The step's output is one list reference, not 200 outputs: the run state stays small.
    expect(runs[0]?.steps[0]?.output).toMatchObject({ $blob: expect.stringMatching(/^sha256:/), items: 200 });
    const blob = await fetch(
      `${api.baseUrl}/api/blobs/${(runs[0]?.steps[0]?.output as { $blob: string }).$blob}`,
    );
    const outputs = JSON.parse(await blob.text()) as { stdout: { $blob: string; bytes: number } }[];
    expect(outputs).toHaveLength(200);
    expect(outputs[0]?.stdout).toMatchObject({ $blob: expect.stringMatching(/^sha256:/), bytes: 102400 });
    const history = await stack.env.client.workflow.getHandle(ids[0]!).fetchHistory();
    expect(JSON.stringify(history).length).toBeLessThan(4 * 2 ** 20);
    const state = await fetch(`${api.baseUrl}/api/runs/${ids[0]}`).then((r) => r.text());
    expect(state.length).toBeLessThan(64 * 1024);
    expect(pages.length).toBeGreaterThan(2);
  }, 180_000);
});

describe('a foreach of any size', () => {
  it('runs 10,000 no-op items in batch workflows, each history under 20,000 events and 10 MB', async () => {
    const runId = await start(
      {
        name: 'huge-foreach',
        steps: [
          {
            id: 'each',
            kind: 'tool',
            tool: 'noop',
            // A CEL list literal holds at most 1,000 items, so the list comes as input.
            foreach: { items: '${{ input.items }}', parallelism: 200 },
            with: { n: '${{ item }}' },
          },
          {
            id: 'count',
            kind: 'tool',
            tool: 'noop',
            dependsOn: ['each'],
            with: { items: '${{ size(steps.each.output) }}' },
          },
        ],
      },
      { items: Array.from({ length: 10_000 }, (_, i) => i) },
    );
    const run = await waitForRun(api, runId, isClosed, 900_000);
    expect(run.status, run.error).toBe('completed');
    expect(run.steps[0]).toMatchObject({ status: 'completed', items: { done: 10_000, total: 10_000 } });
    expect(run.steps[0]?.output).toMatchObject({ $blob: expect.stringMatching(/^sha256:/), items: 10_000 });
    expect(run.output).toEqual({ items: 10_000 });
    const ids = [runId, ...Array.from({ length: 20 }, (_, k) => `${runId}.each.batch${k}`)];
    for (const id of ids) {
      const history = await stack.env.client.workflow.getHandle(id).fetchHistory();
      const bytes = proto.temporal.api.history.v1.History.encode(history).finish().length;
      expect(history.events?.length ?? 0, id).toBeLessThan(20_000);
      expect(bytes, id).toBeLessThan(10 * 2 ** 20);
    }
    const outputs = (await fetch(
      `${api.baseUrl}/api/blobs/${(run.steps[0]?.output as { $blob: string }).$blob}`,
    ).then((r) => r.json())) as { n: number }[];
    expect(outputs.map((output) => output.n)).toEqual(Array.from({ length: 10_000 }, (_, i) => i));
  }, 900_000);

  it('refuses a condition that reads a stored value, naming its path', async () => {
    const runId = await start({
      name: 'stored-when',
      steps: [
        { id: 'big', kind: 'tool', tool: 'shell', with: { run: 'head -c 200000 /dev/zero | tr "\\0" x' } },
        {
          id: 'measure',
          kind: 'tool',
          tool: 'noop',
          dependsOn: ['big'],
          with: {
            chars: '${{ size(steps.big.output.stdout) }}',
            head: '${{ steps.big.output.stdout.substring(0, 3) }}',
          },
        },
        {
          id: 'check',
          kind: 'tool',
          tool: 'noop',
          dependsOn: ['measure'],
          when: 'size(steps.big.output.stdout) > 10',
        },
      ],
    });
    const run = await waitForRun(api, runId, isClosed);
    expect(run.steps.find((step) => step.id === 'measure')).toMatchObject({
      status: 'completed',
      output: { chars: 200_000, head: 'xxx' },
    });
    expect(run.steps.find((step) => step.id === 'check')).toMatchObject({ status: 'failed' });
    expect(run.steps.find((step) => step.id === 'check')?.error).toMatch(
      /reads steps\.big\.output\.stdout \(200000 bytes\), which is held in the blob store/,
    );
  });
});

describe('large values reaching a command', () => {
  it('gives a stored value to a command on stdin, and refuses it in env with an error that says to use stdin', async () => {
    const big = {
      id: 'big',
      kind: 'tool',
      tool: 'shell',
      with: { run: 'head -c 300000 /dev/zero | tr "\\0" x' },
    };
    const piped = await start({
      name: 'stdin-big',
      steps: [
        big,
        {
          id: 'count',
          kind: 'tool',
          tool: 'shell',
          dependsOn: ['big'],
          with: { run: 'wc -c', stdin: '${{ steps.big.output.stdout }}' },
        },
      ],
    });
    const viaStdin = await waitForRun(api, piped, isClosed);
    expect(viaStdin.status, viaStdin.error).toBe('completed');
    expect((viaStdin.steps[1]?.output as { stdout: string }).stdout.trim()).toBe('300000');
    const inEnv = await start({
      name: 'env-big',
      steps: [
        big,
        {
          id: 'count',
          kind: 'tool',
          tool: 'shell',
          dependsOn: ['big'],
          with: { run: 'printf %s "$BIG" | wc -c', env: { BIG: '${{ steps.big.output.stdout }}' } },
        },
      ],
    });
    const viaEnv = await waitForRun(api, inEnv, isClosed);
    expect(viaEnv.status).toBe('failed');
    expect(viaEnv.steps[1]?.error).toMatch(
      /with\.env\.BIG is 300004 bytes, more than an environment variable holds .*pass a large value on stdin/,
    );
  });
});

describe('runs the server closed', () => {
  it('reads a terminated run from describe with no worker up, and lists it as it is', async () => {
    const runId = await start({
      name: 'doomed',
      steps: [{ id: 'nap', kind: 'wait', with: { duration: '1h' } }],
    });
    await waitForRun(api, runId, (run) => run.steps[0]?.status === 'running');
    await stack.env.client.workflow.getHandle(runId).terminate('an operator pulled the plug');
    await stack.stopWorker();
    const response = await fetch(`${api.baseUrl}/api/runs/${runId}`);
    expect(response.status).toBe(200);
    const run = (await response.json()) as RunSnapshot;
    expect(run).toMatchObject({
      runId,
      name: 'doomed',
      status: 'cancelled',
      error: 'the run was terminated at the Temporal server',
      steps: [{ id: 'nap', kind: 'wait', status: 'cancelled' }],
    });
    const listed = (await fetch(`${api.baseUrl}/api/runs?q=doomed`).then((r) => r.json())) as {
      runs: { runId: string; status: string }[];
    };
    expect(listed.runs.find((entry) => entry.runId === runId)?.status).toBe('cancelled');
  });
});
