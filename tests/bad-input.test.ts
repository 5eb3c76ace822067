import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestTemporal } from './helpers/temporal';
import { postJson, readExample, startApi, type Api } from './helpers/harness';

let env: TestWorkflowEnvironment;
let api: Api;

beforeAll(async () => {
  env = await startTestTemporal();
  api = await startApi(env, 'bad input');
});

afterAll(async () => {
  await api?.close();
  await env?.teardown();
});

const step = (id: string, extra: Record<string, unknown> = {}) => ({
  id,
  kind: 'tool',
  tool: 'shell',
  with: { run: 'true' },
  ...extra,
});

/** No worker polls this file's queue, so any run the API started would still be listed here. */
async function startedRuns(): Promise<number> {
  const { count } = await env.client.workflow.count(`TaskQueue = '${api.config.TROUPE_TASK_QUEUE}'`);
  return count;
}

async function expectRejected(body: unknown, status = 400) {
  const response = await postJson(`${api.baseUrl}/api/runs`, body);
  expect(response.status).toBe(status);
  expect(response.type).toContain('application/problem+json');
  expect(response.body.status).toBe(status);
  return response.body as { detail: string; errors?: { path: string; message: string }[] };
}

describe('POST /api/runs with bad input', () => {
  it('answers 400 naming the position when the body is not JSON', async () => {
    const problem = await expectRejected('{"spec": ');
    expect(problem.detail).toMatch(/^the body is not valid JSON: /);
  });

  it('answers 415 when the body is not sent as JSON', async () => {
    const response = await fetch(`${api.baseUrl}/api/runs`, { method: 'POST', body: 'name: hello' });
    expect(response.status).toBe(415);
  });

  it('names a step that depends on a step that does not exist', async () => {
    const problem = await expectRejected({
      spec: { name: 'x', steps: [step('a', { dependsOn: ['ghost'] })] },
    });
    expect(problem.errors).toEqual([
      {
        path: 'spec.steps[0].dependsOn[0]',
        message: 'step "a" depends on "ghost", which is not a step in this spec',
      },
    ]);
  });

  it('names the cycle in a spec whose steps depend on each other', async () => {
    const problem = await expectRejected({
      spec: { name: 'x', steps: [step('a', { dependsOn: ['b'] }), step('b', { dependsOn: ['a'] })] },
    });
    expect(problem.errors).toEqual([
      { path: 'spec.steps[0].dependsOn', message: 'dependency cycle: a -> b -> a' },
    ]);
  });

  it('names unknown fields in the body and in the spec, all in one answer', async () => {
    const problem = await expectRejected({
      spec: { name: 'x', colour: 'red', steps: [step('a', { with: { run: 'true', shell: 'zsh' } })] },
      input: {},
      priority: 'high',
    });
    expect(problem.errors?.map((error) => error.path).sort()).toEqual([
      'priority',
      'spec.colour',
      'spec.steps[0].with.shell',
    ]);
    expect(problem.errors?.every((error) => error.message.startsWith('unknown field'))).toBe(true);
  });

  it('reports every graph problem at once: duplicates, unknown steps, bad templates', async () => {
    const problem = await expectRejected({
      spec: {
        name: 'x',
        steps: [
          step('a'),
          step('a'),
          step('b', {
            with: { run: 'echo "$X"', env: { X: '${{ steps.a.output.stdout }}', Y: '${{ input.a + }}' } },
          }),
          step('c', { with: { run: 'echo ${{ input.name }}' } }),
        ],
      },
    });
    expect(problem.errors).toEqual([
      { path: 'spec.steps[1].id', message: 'duplicate step id "a" (also steps[0])' },
      {
        path: 'spec.steps[2].with.env.X',
        message:
          '${{ steps.a.output.stdout }} reads step "a", so step "b" must list it (or a step after it) in dependsOn',
      },
      {
        path: 'spec.steps[2].with.env.Y',
        message: expect.stringMatching(/^"input\.a \+" is not a valid expression: /),
      },
      { path: 'spec.steps[3].with.run', message: expect.stringMatching(/^templates are not allowed in run/) },
    ]);
  });

  it('names the line of a YAML syntax error', async () => {
    const yaml = (await readExample('hello.yaml')).replace('dependsOn: [greet]', 'dependsOn: [greet');
    const problem = await expectRejected({ spec: yaml });
    expect(problem.errors?.[0]?.path).toBe('spec');
    expect(problem.errors?.[0]?.message).toMatch(/^the spec is not valid YAML at line \d+, column \d+: /);
  });

  it('names wrong types and unknown step kinds', async () => {
    const problem = await expectRejected({
      spec: { name: 'x', steps: [{ id: 'a', kind: 'magic' }] },
      input: 'world',
    });
    expect(problem.errors).toEqual([
      { path: 'input', message: expect.stringContaining('expected record') },
      {
        path: 'spec.steps[0].kind',
        message: 'kind must be one of: "tool", "model", "agent", "approval", "wait", "subworkflow", "plan"',
      },
    ]);
  });

  it('names schema errors and graph errors in one answer', async () => {
    const missingKind = await expectRejected({
      spec: { name: 'bad', steps: [{ id: 'a', dependsOn: ['nope'] }] },
    });
    expect(missingKind.errors?.map((error) => error.path)).toEqual([
      'spec.steps[0].kind',
      'spec.steps[0].dependsOn[0]',
    ]);
    expect(missingKind.errors?.[1]?.message).toContain('"nope"');
    const cycleAndTool = await expectRejected({
      spec: {
        name: 'bad',
        steps: [
          { id: 'a', kind: 'tool', dependsOn: ['b'], with: { run: 'true' } },
          step('b', { dependsOn: ['a'] }),
        ],
      },
    });
    expect(cycleAndTool.errors).toEqual([
      { path: 'spec.steps[0].tool', message: 'tool must be one of: "shell", "noop"' },
      { path: 'spec.steps[0].dependsOn', message: 'dependency cycle: a -> b -> a' },
    ]);
  });

  it('starts no workflow for any rejected request', async () => {
    await expectRejected({ spec: { name: 'x', steps: [step('a', { dependsOn: ['a'] })] } });
    expect(await startedRuns()).toBe(0);
  });
});
