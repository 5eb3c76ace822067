import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TroupeStatus } from '../src/engine/search-attributes';
import type { RunSnapshot } from '../src/engine/run-snapshot';
import { startStack, type Stack } from './helpers/stack';
import { isClosed, postJson, readExample, waitForRun, waitForRunEnded, type Api } from './helpers/harness';

let stack: Stack;
let env: TestWorkflowEnvironment;
let api: Api;

beforeAll(async () => {
  stack = await startStack('engine');
  ({ env, api } = stack);
});

afterAll(() => stack?.stop());

async function start(spec: unknown, input: Record<string, unknown> = {}): Promise<string> {
  const response = await postJson(`${api.baseUrl}/api/runs`, { spec, input });
  expect(response.status, JSON.stringify(response.body)).toBe(201);
  return response.body.runId as string;
}

const control = (runId: string, action: string, body: unknown = {}) =>
  postJson(`${api.baseUrl}/api/runs/${runId}/${action}`, body);
const workspaceFile = (runId: string, name: string) =>
  readFile(join(api.config.TROUPE_DATA_DIR, 'workspaces', runId, name), 'utf8');
const statuses = (run: RunSnapshot) => Object.fromEntries(run.steps.map((step) => [step.id, step.status]));

describe('saga', () => {
  it('runs saga.yaml to failure and compensates charge, then reserve', async () => {
    const runId = await start(await readExample('saga.yaml'));
    const run = await waitForRun(api, runId, isClosed);
    expect(run.status).toBe('failed');
    expect(run.error).toBe(
      'step "ship" failed: the command exited with code 1: the carrier refused the parcel',
    );
    expect(run.compensations.map(({ stepId, status }) => [stepId, status])).toEqual([
      ['charge', 'completed'],
      ['reserve', 'completed'],
    ]);
    expect(await workspaceFile(runId, 'ledger.txt')).toBe('reserved\ncharged\nrefunded\nreleased\n');
  });

  it('records a failing compensation and still runs the rest', async () => {
    const undo = (run: string) => ({ kind: 'tool', tool: 'shell', with: { run } });
    const runId = await start({
      name: 'saga-broken-undo',
      steps: [
        { id: 'a', kind: 'tool', tool: 'noop', compensate: undo('echo a >> undone') },
        {
          id: 'b',
          kind: 'tool',
          tool: 'noop',
          dependsOn: ['a'],
          compensate: undo('echo "cannot undo b" >&2; exit 4'),
        },
        { id: 'c', kind: 'tool', tool: 'shell', dependsOn: ['b'], with: { run: 'exit 1' } },
      ],
    });
    const run = await waitForRun(api, runId, isClosed);
    expect(run.compensations).toMatchObject([
      { stepId: 'b', status: 'failed', error: 'the command exited with code 4: cannot undo b' },
      { stepId: 'a', status: 'completed' },
    ]);
    expect(await workspaceFile(runId, 'undone')).toBe('a\n');
  });
});

describe('approvals', () => {
  it('waits on approval.yaml until approved, then completes', async () => {
    const runId = await start(await readExample('approval.yaml'));
    const waiting = await waitForRun(api, runId, (run) => run.status === 'waiting');
    expect(waiting.steps.find((step) => step.id === 'review')).toMatchObject({
      status: 'waiting',
      message: 'Publish release 1.0?',
    });
    const described = await env.client.workflow.getHandle(runId).describe();
    expect(described.typedSearchAttributes.get(TroupeStatus)).toBe('waiting');

    const approved = await control(runId, 'approve', { stepId: 'review', comment: 'ship it' });
    expect(approved.status).toBe(200);
    const run = await waitForRun(api, runId, isClosed);
    expect(run.status).toBe('completed');
    expect(run.output).toBe('published release 1.0 (approved: ship it)');
  });

  it('ends approval.yaml on reject and compensates the build', async () => {
    const runId = await start(await readExample('approval.yaml'));
    await waitForRun(api, runId, (run) => run.status === 'waiting');
    await control(runId, 'reject', { stepId: 'review', comment: 'not today' });
    const run = await waitForRun(api, runId, isClosed);
    expect(run.status).toBe('failed');
    expect(run.error).toBe('step "review" failed: rejected: not today');
    expect(run.compensations.map((c) => [c.stepId, c.status])).toEqual([['build', 'completed']]);
    await expect(workspaceFile(runId, 'release.txt')).rejects.toThrow(/ENOENT/);
  });

  it('applies the default when nobody decides in time', async () => {
    const gate = (decision: string) => ({
      name: `gate-${decision}`,
      steps: [{ id: 'gate', kind: 'approval', with: { timeout: '1s', default: decision } }],
    });
    const [approvedId, rejectedId] = await Promise.all([start(gate('approve')), start(gate('reject'))]);
    const approved = await waitForRun(api, approvedId, isClosed);
    expect(approved.status).toBe('completed');
    expect(approved.steps[0]?.decision).toEqual({ approved: true, timedOut: true });
    const rejected = await waitForRun(api, rejectedId, isClosed);
    expect(rejected.error).toBe(
      'step "gate" failed: nobody decided within 1s, and the step\'s default is reject',
    );
  });

  it('refuses to approve a step that is not waiting, with 409', async () => {
    const runId = await start(await readExample('approval.yaml'));
    await waitForRun(api, runId, (run) => run.status === 'waiting');
    const wrong = await control(runId, 'approve', { stepId: 'build' });
    expect(wrong.status).toBe(409);
    expect(wrong.body.detail).toBe('step "build" is a tool step, not an approval');
    const unknown = await control(runId, 'approve', { stepId: 'nope' });
    expect(unknown.status).toBe(409);
    await control(runId, 'reject', { stepId: 'review' });
    await waitForRunEnded(env, api, runId);
    const late = await control(runId, 'approve', { stepId: 'review' });
    expect(late.status).toBe(409);
    expect(late.body.detail).toMatch(/has ended \(failed\)/);
  });
});

describe('control', () => {
  it('pauses so no new step starts, and resumes', async () => {
    const runId = await start(await readExample('parallel.yaml'), { pause: 1 });
    const paused = await control(runId, 'pause');
    expect(paused.status).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const during = await waitForRun(api, runId, () => true);
    expect(during.status).toBe('paused');
    const started = during.steps.filter((step) => step.status !== 'pending').map((step) => step.id);
    expect(started.length).toBeLessThanOrEqual(1);

    expect((await control(runId, 'resume')).status).toBe(200);
    const run = await waitForRun(api, runId, isClosed);
    expect(run.status).toBe('completed');
    expect(run.output).toBe('part1part2part3part4part5 joined');
  });

  it("cancels parallel.yaml mid fan-out, then runs each completed step's compensation once", async () => {
    const runId = await start(await readExample('parallel.yaml'), { pause: 30 });
    await waitForRun(api, runId, (run) => run.steps.filter((step) => step.status === 'running').length === 5);
    const cancelled = await control(runId, 'cancel');
    expect(cancelled.status).toBe(202);
    const run = await waitForRun(api, runId, isClosed);
    expect(run.status).toBe('cancelled');
    expect(statuses(run)).toMatchObject({ prepare: 'completed', part1: 'cancelled', join: 'skipped' });
    expect(run.compensations.map((c) => [c.stepId, c.status])).toEqual([['prepare', 'completed']]);
    await expect(workspaceFile(runId, 'parts')).rejects.toThrow(/ENOENT/);
  });

  it('adds steps to a running run and refuses to replace one that started', async () => {
    const runId = await start({
      name: 'grow',
      steps: [
        { id: 'first', kind: 'tool', tool: 'noop', with: { n: 1 } },
        { id: 'gate', kind: 'approval', dependsOn: ['first'] },
      ],
    });
    await waitForRun(api, runId, (run) => run.status === 'waiting');
    const added = await control(runId, 'steps', {
      steps: [
        {
          id: 'second',
          kind: 'tool',
          tool: 'noop',
          dependsOn: ['gate'],
          with: { n: '${{ steps.first.output.n + 1 }}' },
        },
      ],
    });
    expect(added.status).toBe(200);
    const replace = await control(runId, 'steps', { steps: [{ id: 'first', kind: 'tool', tool: 'noop' }] });
    expect(replace.status).toBe(400);
    expect(replace.body.errors).toEqual([
      {
        path: 'steps[0].id',
        message: 'step "first" has already started; only steps that have not started can be replaced',
      },
    ]);
    const invalid = await control(runId, 'steps', {
      steps: [{ id: 'third', kind: 'tool', tool: 'noop', dependsOn: ['ghost'] }],
    });
    expect(invalid.status).toBe(400);
    expect(invalid.body.errors[0].message).toBe(
      'step "third" depends on "ghost", which is not a step in this spec',
    );

    await control(runId, 'approve', { stepId: 'gate' });
    const run = await waitForRun(api, runId, isClosed);
    expect(run.output).toEqual({ n: 2 });
  });
});

describe('shared context', () => {
  it('versions what steps publish, detects parallel writes, merges them by the spec, and keeps every write', async () => {
    const publishNotes = (id: string, file: string) => ({
      id,
      kind: 'tool',
      tool: 'noop',
      with: { file },
      publish: { files: `\${{ [steps.${id}.output.file] }}` },
    });
    const runId = await start({
      name: 'context',
      contextPolicy: 'merge',
      steps: [
        { id: 'plan', kind: 'tool', tool: 'noop', publish: { goal: 'ship it' } },
        { ...publishNotes('left', 'a.ts'), dependsOn: ['plan'] },
        { ...publishNotes('right', 'b.ts'), dependsOn: ['plan'] },
        {
          id: 'report',
          kind: 'tool',
          tool: 'noop',
          dependsOn: ['left', 'right'],
          with: { goal: '${{ context.goal }}', files: '${{ context.files }}' },
        },
      ],
    });
    const run = await waitForRun(api, runId, isClosed);
    expect(run.status).toBe('completed');
    expect(run.output).toEqual({ goal: 'ship it', files: expect.arrayContaining(['a.ts', 'b.ts']) });
    expect(run.context.values.files).toHaveLength(2);
    expect(run.context.writes.map((write) => [write.stepId, write.key])).toEqual([
      ['plan', 'goal'],
      expect.arrayContaining(['files']),
      expect.arrayContaining(['files']),
    ]);
    expect(run.context.conflicts).toEqual([
      {
        key: 'files',
        steps: expect.arrayContaining(['left', 'right']),
        policy: 'merge',
        resolution: 'the values were merged',
      },
    ]);
    expect(run.steps.find((step) => step.id === 'report')?.contextVersion).toBe(3);
  });
});

describe('graph features', () => {
  it("maps the spec priority to Temporal's priority key and keeps a title in the memo", async () => {
    const runId = await start({
      name: 'urgent',
      description: 'An urgent job',
      priority: 1,
      steps: [{ id: 'a', kind: 'tool', tool: 'noop' }],
    });
    await waitForRun(api, runId, isClosed);
    const description = await env.client.workflow.getHandle(runId).describe();
    expect(description.raw.workflowExecutionInfo?.priority?.priorityKey).toBe(1);
    expect(description.memo).toEqual({ title: 'An urgent job' });
  });

  it('skips a false branch and what only it feeds, in conditional.yaml', async () => {
    const run = await waitForRun(api, await start(await readExample('conditional.yaml')), isClosed);
    expect(statuses(run)).toEqual({
      check: 'completed',
      production: 'skipped',
      production_smoke_test: 'skipped',
      staging: 'completed',
      notify: 'completed',
    });
    expect(run.output).toBe('deployed to staging');
    const production = await waitForRun(
      api,
      await start(await readExample('conditional.yaml'), { target: 'production' }),
      isClosed,
    );
    expect(statuses(production)).toMatchObject({ production_smoke_test: 'completed', staging: 'skipped' });
  });

  it('fans out over items in foreach.yaml and keeps their order', async () => {
    const run = await waitForRun(api, await start(await readExample('foreach.yaml')), isClosed);
    expect(run.output).toEqual([
      'Hello, Lisbon (#1)',
      'Hello, Oslo (#2)',
      'Hello, Tokyo (#3)',
      'Hello, Lima (#4)',
    ]);
    expect(run.steps[0]?.items).toEqual({ done: 4, total: 4 });
  });

  it('runs another spec as a child workflow', async () => {
    const hello = await readExample('hello.yaml');
    const { parseSpec } = await import('../src/engine/spec-validation');
    const child = parseSpec(hello);
    if (!child.ok) throw new Error('hello.yaml is invalid');
    const runId = await start(
      {
        name: 'parent',
        steps: [
          {
            id: 'greet_child',
            kind: 'subworkflow',
            with: { spec: child.spec, input: { name: '${{ input.who }}' } },
          },
        ],
      },
      { who: 'child' },
    );
    const run = await waitForRun(api, runId, isClosed);
    expect(run.output).toBe('Hello, child! (13 characters)');
    const childRun = await env.client.workflow.getHandle(`${runId}.greet_child`).describe();
    expect(childRun.status.name).toBe('COMPLETED');
  });

  it("retries a failing command as the step's retry says, counting attempts", async () => {
    const runId = await start({
      name: 'flaky',
      steps: [
        {
          id: 'flaky',
          kind: 'tool',
          tool: 'shell',
          retry: { attempts: 3, backoff: { initial: '100ms' } },
          with: { run: '[ "$TROUPE_ATTEMPT" -ge 3 ] && printf ok || exit 1' },
        },
      ],
    });
    const run = await waitForRun(api, runId, isClosed);
    expect(run.steps[0]).toMatchObject({ status: 'completed', attempts: 3, output: { stdout: 'ok' } });
  });

  it('keeps a 5 MB output out of history as a blob reference that the next step reads whole', async () => {
    const runId = await start({
      name: 'big',
      steps: [
        { id: 'big', kind: 'tool', tool: 'shell', with: { run: 'head -c 5242880 /dev/zero | tr "\\0" x' } },
        {
          id: 'count',
          kind: 'tool',
          tool: 'shell',
          dependsOn: ['big'],
          with: { run: 'wc -c', stdin: '${{ steps.big.output.stdout }}' },
        },
      ],
    });
    const run = await waitForRun(api, runId, isClosed);
    expect(run.status).toBe('completed');
    expect(run.steps[0]?.output).toMatchObject({
      stdout: { $blob: expect.stringMatching(/^sha256:/), bytes: 5242880 },
    });
    expect((run.output as { stdout: string }).stdout.trim()).toBe('5242880');
    const history = await env.client.workflow.getHandle(runId).fetchHistory();
    const size = JSON.stringify(history).length;
    expect(size).toBeLessThan(200_000);
    const ref = (run.steps[0]?.output as { stdout: { $blob: string } }).stdout.$blob;
    const blob = await fetch(`${api.baseUrl}/api/blobs/${ref}`);
    expect((await blob.text()).length).toBe(5242880);
  });
});
