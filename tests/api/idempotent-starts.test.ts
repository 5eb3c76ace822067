import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isClosed, waitForRun, waitUntil } from '../helpers/harness';
import { startStack, type Stack } from '../helpers/stack';

let stack: Stack;

beforeAll(async () => {
  stack = await startStack('idempotent starts');
});

afterAll(() => stack?.stop());

const spec = (name: string, text = 'hi') => ({
  name,
  steps: [{ id: 'say', kind: 'tool', tool: 'noop', with: { text } }],
});

async function start(body: unknown, headers: Record<string, string> = {}) {
  const response = await fetch(`${stack.api.baseUrl}/api/runs`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as Record<string, any> };
}

/** Runs whose workflow id is `runId`, in any state: more than one would mean a second start. */
async function executions(runId: string): Promise<number> {
  const count = async () => (await stack.env.client.workflow.count(`WorkflowId = '${runId}'`)).count;
  await waitUntil(async () => (await count()) > 0, { what: `run ${runId} to be visible` });
  return count();
}

describe('POST /api/runs with an Idempotency-Key', () => {
  it('starts one run for the same POST sent twice, and answers the same run again after it closed', async () => {
    const headers = { 'Idempotency-Key': 'order-1234-attempt' };
    const first = await start({ spec: spec('once') }, headers);
    const second = await start({ spec: spec('once') }, headers);
    expect(first.status).toBe(201);
    expect(second.status).toBe(200);
    expect(second.body).toEqual(first.body);
    const runId = first.body.runId as string;
    await waitForRun(stack.api, runId, isClosed);
    const later = await start({ spec: spec('once') }, headers);
    expect(later.status).toBe(200);
    expect(later.body.runId).toBe(runId);
    expect(await executions(runId)).toBe(1);
  });

  it('starts exactly one run when retries race each other', async () => {
    const headers = { 'Idempotency-Key': crypto.randomUUID() };
    const answers = await Promise.all(
      Array.from({ length: 6 }, () => start({ spec: spec('race') }, headers)),
    );
    expect(answers.map((answer) => answer.status).sort()).toEqual([200, 200, 200, 200, 200, 201]);
    expect(new Set(answers.map((answer) => answer.body.runId as string)).size).toBe(1);
    expect(await executions(answers[0]?.body.runId as string)).toBe(1);
  });

  it('refuses the same key with a different body with 422, and starts nothing', async () => {
    const headers = { 'Idempotency-Key': 'reused-key' };
    const first = await start({ spec: spec('first'), input: {} }, headers);
    expect(first.status).toBe(201);
    const other = await start({ spec: spec('first', 'changed') }, headers);
    expect(other.status).toBe(422);
    expect(other.body.detail).toMatch(
      /already started run ".*" from a different request; send the same body/,
    );
    expect(await executions(first.body.runId as string)).toBe(1);
  });

  it('answers 400 naming the header when the key is not printable text', async () => {
    const refused = await start({ spec: spec('bad-key') }, { 'Idempotency-Key': 'has space' });
    expect(refused.status).toBe(400);
    expect(refused.body.errors[0].path).toBe('headers.idempotency-key');
  });
});

describe('POST /api/runs with a client-chosen runId', () => {
  it('starts the run under that id, and a retry returns it', async () => {
    const body = { spec: spec('chosen'), runId: 'nightly-2026-12-01' };
    const first = await start(body);
    expect(first.status).toBe(201);
    expect(first.body.runId).toBe('nightly-2026-12-01');
    const again = await start(body);
    expect(again.status).toBe(200);
    expect(again.body.runId).toBe('nightly-2026-12-01');
    expect((await start({ ...body, input: { extra: 1 } })).status).toBe(422);
    expect(await executions('nightly-2026-12-01')).toBe(1);
  });

  it('refuses a runId that names a workflow that is not a Troupe run', async () => {
    await stack.env.client.workflow.start('somethingElse', {
      taskQueue: 'nobody-polls',
      workflowId: 'foreign-1',
    });
    const refused = await start({ spec: spec('foreign'), runId: 'foreign-1' });
    expect(refused.status).toBe(409);
    expect(refused.body.detail).toContain('not a Troupe run');
    await stack.env.client.workflow.getHandle('foreign-1').terminate();
  });

  it('refuses a runId Temporal or the API could not use', async () => {
    const refused = await start({ spec: spec('bad-id'), runId: 'no spaces/or slashes' });
    expect(refused.status).toBe(400);
    expect(refused.body.errors[0].path).toBe('runId');
  });
});
