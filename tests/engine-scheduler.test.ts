import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import fc from 'fast-check';
import { defaultPayloadConverter } from '@temporalio/common';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunSnapshot } from '../src/engine/run-snapshot';
import { TroupeAgents } from '../src/engine/search-attributes';
import { startStack, type Stack } from './helpers/stack';
import { testDataConverter } from './helpers/payload-codec';
import { isClosed, postJson, waitForRun, type Api } from './helpers/harness';
import { dagArbitrary, describeDag, specOf } from './scheduler-dags';
import { referenceRun, type Dag } from './scheduler-reference';

let stack: Stack;
let api: Api;

beforeAll(async () => {
  stack = await startStack('engine scheduler');
  ({ api } = stack);
});

afterAll(() => stack?.stop());

async function start(spec: unknown, input: Record<string, unknown> = {}): Promise<string> {
  const response = await postJson(`${api.baseUrl}/api/runs`, { spec, input });
  expect(response.status, JSON.stringify(response.body)).toBe(201);
  return response.body.runId as string;
}

const statuses = (run: RunSnapshot) => Object.fromEntries(run.steps.map((step) => [step.id, step.status]));
const shell = (id: string, run: string, extra: object = {}) => ({
  id,
  kind: 'tool',
  tool: 'shell',
  with: { run },
  ...extra,
});

describe('skips', () => {
  const skipjoin = (aWhen?: string) => ({
    name: 'skipjoin',
    steps: [
      shell('a', 'echo a', aWhen ? { when: aWhen } : {}),
      shell('b', 'echo b', { dependsOn: ['a'], when: 'false' }),
      shell('c', 'echo c', { dependsOn: ['a', 'b'] }),
    ],
  });

  it('runs a step fed by a completed step and a skipped one, so the skipjoin spec completes', async () => {
    const run = await waitForRun(api, await start(skipjoin()), isClosed, 20_000);
    expect(run.status).toBe('completed');
    expect(statuses(run)).toEqual({ a: 'completed', b: 'skipped', c: 'completed' });
    expect(run.output).toMatchObject({ stdout: 'c\n' });
  });

  it('skips a step whose parents were both skipped by their conditions, and completes the run', async () => {
    const run = await waitForRun(api, await start(skipjoin('false')), isClosed, 20_000);
    expect(run.status).toBe('completed');
    expect(statuses(run)).toEqual({ a: 'skipped', b: 'skipped', c: 'skipped' });
  });
});

describe('fail-fast', () => {
  const race = (onFailure?: string, sleep = 60) => ({
    name: 'race',
    ...(onFailure && { onFailure }),
    steps: [
      shell('breaks', 'sleep 1; exit 1'),
      shell('sleeper', `sleep ${sleep}; echo woke`),
      // Nobody should have to approve a run that has failed, whichever way it fails.
      { id: 'ask', kind: 'approval', with: { message: 'go on?' } },
    ],
  });

  it('ends a run failed within 5 s when one branch fails, cancelling the branch still sleeping and the approval waiting', async () => {
    const started = Date.now();
    const run = await waitForRun(api, await start(race()), isClosed, 20_000);
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(run.status).toBe('failed');
    expect(run.error).toBe('step "breaks" failed: the command exited with code 1');
    expect(statuses(run)).toEqual({ breaks: 'failed', sleeper: 'cancelled', ask: 'cancelled' });
  });

  it('lets the running steps finish first with onFailure: finish-running, and cancels the approval waiting', async () => {
    const run = await waitForRun(api, await start(race('finish-running', 3)), isClosed, 20_000);
    expect(run.status).toBe('failed');
    expect(statuses(run)).toEqual({ breaks: 'failed', sleeper: 'completed', ask: 'cancelled' });
  });
});

describe('random DAGs end to end', () => {
  const dags = fc.sample(dagArbitrary({ maxSteps: 7 }), { seed: 424242, numRuns: 110 });

  /** What must hold whatever the timing: a terminal run, settled steps, and no step ahead of its inputs. */
  function checkInvariants(dag: Dag, run: RunSnapshot) {
    const status = statuses(run);
    const why = describeDag(dag);
    expect(['completed', 'failed'], why).toContain(run.status);
    for (const step of dag.steps) {
      expect(['completed', 'failed', 'skipped', 'cancelled'], why).toContain(status[step.id]);
      if (status[step.id] === 'completed' || status[step.id] === 'failed') {
        for (const dependency of step.dependsOn)
          expect(['completed', 'skipped'], why).toContain(status[dependency]);
      }
      if (step.when === false) expect(status[step.id], why).not.toBe('completed');
    }
    const failed = Object.values(status).includes('failed');
    expect(run.status, why).toBe(failed ? 'failed' : 'completed');
  }

  it(`runs ${dags.length} random specs to the end on a real server, as the reference says`, async () => {
    const lanes = 10;
    let next = 0;
    const lane = async () => {
      while (next < dags.length) {
        const index = next++;
        const dag = dags[index]!;
        const runId = await start(specOf(dag, `dag-${index}`));
        const run = await waitForRun(api, runId, isClosed, 60_000);
        checkInvariants(dag, run);
        const reference = referenceRun(dag, () => 0);
        // Without failures the outcome does not depend on timing, so it must be the reference's exactly.
        if (reference.status === 'completed') {
          expect({ status: run.status, steps: statuses(run) }, describeDag(dag)).toEqual(reference);
        } else {
          expect(run.status, describeDag(dag)).toBe('failed');
        }
      }
    };
    await Promise.all(Array.from({ length: lanes }, lane));
  }, 120_000);
});

describe('subworkflow compensation', () => {
  it("undoes a completed child run with the child's own compensations when the parent fails", async () => {
    const child = {
      name: 'child',
      steps: [
        shell('make', 'echo made > made.txt; printf made', {
          compensate: { kind: 'tool', tool: 'shell', with: { run: 'rm made.txt; echo undone > undone.txt' } },
        }),
      ],
    };
    const runId = await start({
      name: 'parent',
      onFailure: 'finish-running',
      steps: [
        { id: 'sub', kind: 'subworkflow', with: { spec: child } },
        shell('breaks', 'exit 1', { dependsOn: ['sub'] }),
      ],
    });
    const run = await waitForRun(api, runId, isClosed, 30_000);
    expect(run.status).toBe('failed');
    expect(run.compensations.map((c) => [c.stepId, c.status])).toEqual([['sub', 'completed']]);
    const childDir = join(api.config.TROUPE_DATA_DIR, 'workspaces', `${runId}.sub`);
    expect(await readFile(join(childDir, 'undone.txt'), 'utf8')).toBe('undone\n');
    await expect(readFile(join(childDir, 'made.txt'), 'utf8')).rejects.toThrow(/ENOENT/);
    const undone = await waitForRun(api, `${runId}.sub`, isClosed);
    expect(undone.status).toBe('cancelled');
    expect(undone.compensations.map((c) => [c.stepId, c.status])).toEqual([['make', 'completed']]);
  });
});

describe('Temporal Web', () => {
  it('names every activity and child by step and doer, and the run by its goal, with the agents it uses', async () => {
    const child = { name: 'greeter', steps: [{ id: 'hello', kind: 'tool', tool: 'noop' }] };
    const runId = await start({
      name: 'labelled',
      description: 'Fix the flaky test',
      steps: [
        shell('build', 'echo built'),
        { id: 'sub', kind: 'subworkflow', dependsOn: ['build'], with: { spec: child } },
        {
          id: 'debug',
          kind: 'agent',
          agent: 'debugger',
          dependsOn: ['build'],
          when: 'false',
          with: { task: 'find the bug' },
        },
      ],
    });
    const run = await waitForRun(api, runId, isClosed, 30_000);
    expect(run.status).toBe('completed');
    const handle = stack.env.client.workflow.getHandle(runId);
    const description = await handle.describe();
    expect(await description.staticSummary()).toBe('Fix the flaky test');
    const details = await description.staticDetails();
    expect(details).toContain('**Spec:** labelled (3 steps)');
    expect(details).toContain(`/api/runs/${runId}`);
    expect(description.typedSearchAttributes.get(TroupeAgents)).toEqual(['debugger', 'noop', 'shell']);

    // Summaries are payloads too, so the codec encrypts them: decode as Temporal Web does.
    const codec = testDataConverter.payloadCodecs?.[0];
    const summaries: string[] = [];
    for (const event of (await handle.fetchHistory()).events ?? []) {
      const summary = event.userMetadata?.summary;
      if (!summary || !codec) continue;
      const [decoded] = await codec.decode([summary]);
      if (decoded) summaries.push(defaultPayloadConverter.fromPayload<string>(decoded));
    }
    expect(summaries).toEqual([
      'Fix the flaky test',
      'build · shell',
      'sub · greeter',
      'record step outcomes',
    ]);

    const found = await fetch(`${api.baseUrl}/api/runs?agent=debugger`).then((r) => r.json());
    expect(JSON.stringify(found)).toContain(runId);
  });
});
