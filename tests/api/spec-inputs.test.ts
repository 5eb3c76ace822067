import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isClosed, postJson, readExample, waitForRun } from '../helpers/harness';
import { startStack, type Stack } from '../helpers/stack';

let stack: Stack;

beforeAll(async () => {
  stack = await startStack('declared inputs');
});

afterAll(() => stack?.stop());

const runsOnQueue = async () =>
  (await stack.env.client.workflow.count(`TaskQueue = '${stack.api.config.TROUPE_TASK_QUEUE}'`)).count;

const call = async (method: string, path: string, body?: unknown) => {
  const response = await fetch(`${stack.api.baseUrl}${path}`, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    ...(body !== undefined && { body: JSON.stringify(body) }),
  });
  return { status: response.status, body: await response.json() };
};

const fixAndTest = fileURLToPath(new URL('../../examples/fix-and-test.yaml', import.meta.url));

describe('POST /api/runs with declared inputs', () => {
  it('refuses examples/fix-and-test.yaml without a repo, naming input.repo, and starts no workflow', async () => {
    const before = await runsOnQueue();
    const refused = await postJson(`${stack.api.baseUrl}/api/runs`, {
      spec: await readExample('fix-and-test.yaml'),
      input: {},
    });
    expect(refused.status).toBe(400);
    expect(refused.body.errors).toEqual([
      {
        path: 'input.repo',
        message: expect.stringMatching(/^the spec requires input "repo", a string \(Absolute path/),
      },
    ]);
    expect(refused.body.detail).toContain('It takes repo (string, required)');
    const wrongType = await postJson(`${stack.api.baseUrl}/api/runs`, {
      spec: await readExample('fix-and-test.yaml'),
      input: { repo: '/tmp', fail: 'yes', colour: 'red' },
    });
    const errors = wrongType.body.errors as { path: string }[];
    expect(errors.map((error) => error.path)).toEqual(['input.fail', 'input.colour']);
    expect(await runsOnQueue()).toBe(before);
  });

  it('fills in declared defaults, in the run and in a child spec', async () => {
    const greeted = await postJson(`${stack.api.baseUrl}/api/runs`, {
      spec: await readExample('hello.yaml'),
    });
    expect(greeted.status).toBe(201);
    expect((await waitForRun(stack.api, greeted.body.runId, isClosed)).output).toBe(
      'Hello, world! (13 characters)',
    );
    const child = {
      name: 'child',
      inputs: { who: { default: 'nobody' } },
      steps: [{ id: 'echo', kind: 'tool', tool: 'noop', with: { who: '${{ input.who }}' } }],
    };
    const parent = await postJson(`${stack.api.baseUrl}/api/runs`, {
      spec: { name: 'parent', steps: [{ id: 'sub', kind: 'subworkflow', with: { spec: child } }] },
    });
    expect(parent.status).toBe(201);
    const run = await waitForRun(stack.api, parent.body.runId, isClosed);
    expect(run.output).toEqual({ who: 'nobody' });
  });

  it('checks the input of a saved spec started by name, and of a schedule', async () => {
    expect((await call('POST', '/api/specs', { spec: await readExample('fix-and-test.yaml') })).status).toBe(
      201,
    );
    const byName = await call('POST', '/api/runs', { specName: 'fix-and-test' });
    expect(byName.status).toBe(400);
    expect(byName.body.errors[0].path).toBe('input.repo');
    const schedule = await call('POST', '/api/schedules', {
      id: 'nightly-fix',
      specName: 'fix-and-test',
      every: '1h',
    });
    expect(schedule.status).toBe(400);
    expect(schedule.body.errors[0].path).toBe('input.repo');
    expect((await call('GET', '/api/schedules/nightly-fix')).status).toBe(404);
  });
});

describe('declarations for a form', () => {
  it('are in GET /api/specs/:name and POST /api/specs/validate, in the spec order', async () => {
    const fields = [
      {
        name: 'repo',
        type: 'string',
        required: true,
        description: expect.stringMatching(/^Absolute path/),
      },
      { name: 'fail', type: 'boolean', required: false, default: false, description: expect.any(String) },
    ];
    await call('POST', '/api/specs', { spec: await readExample('fix-and-test.yaml') });
    expect((await call('GET', '/api/specs/fix-and-test')).body.inputs).toEqual(fields);
    const validated = await call('POST', '/api/specs/validate', {
      spec: await readExample('fix-and-test.yaml'),
    });
    expect(validated.body).toEqual({ valid: true, name: 'fix-and-test', inputs: fields });
  });
});

/** Runs the `troupe` command the way a script would. */
function troupe(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const cli = fileURLToPath(new URL('../../bin/troupe', import.meta.url));
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [cli, ...args], {
      env: { ...process.env, TROUPE_API_URL: stack.api.baseUrl },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.once('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('the troupe CLI', () => {
  it('refuses a run without a required input before sending it, and prints the inputs the spec takes', async () => {
    const before = await runsOnQueue();
    const result = await troupe(['run', fixAndTest]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('input.repo: the spec requires input "repo"');
    expect(result.stderr).toMatch(/spec "fix-and-test" takes:\n {2}repo {2}string {3}required {2}/);
    expect(await runsOnQueue()).toBe(before);
  });

  it('shows the inputs of a spec file and of a saved spec', async () => {
    const file = await troupe(['spec', 'show', fixAndTest]);
    expect(file.code).toBe(0);
    expect(file.stdout).toMatch(/^fix-and-test: Generate code.* \(7 steps\)\nspec "fix-and-test" takes:\n/);
    expect(file.stdout).toMatch(/ {2}fail {2}boolean {2}default false {5}Fail the last step/);
    await call('POST', '/api/specs', { spec: await readExample('fix-and-test.yaml') });
    const saved = await troupe(['spec', 'show', 'fix-and-test', '--json']);
    expect(JSON.parse(saved.stdout)).toMatchObject({
      name: 'fix-and-test',
      steps: 7,
      inputs: [{ name: 'repo' }, { name: 'fail' }],
    });
  });
});
