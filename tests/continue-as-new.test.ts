import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startStack, type Stack } from './helpers/stack';
import { isClosed, postJson, waitForRun, type Api } from './helpers/harness';

let stack: Stack;
let env: TestWorkflowEnvironment;
let api: Api;

beforeAll(async () => {
  // The server suggests continue-as-new after 40 history events instead of thousands.
  stack = await startStack('continue as new', {
    dynamicConfig: { 'limit.historyCount.suggestContinueAsNew': 40 },
  });
  ({ env, api } = stack);
});

afterAll(() => stack?.stop());

it('continues a long run as new when Temporal suggests it, re-running no step', async () => {
  const steps = Array.from({ length: 30 }, (_, index) => ({
    id: `s${index}`,
    kind: 'tool',
    tool: 'shell',
    ...(index > 0 && { dependsOn: [`s${index - 1}`] }),
    with: { run: 'echo "$TROUPE_STEP_ID" >> ran.log; printf "%s" "$TROUPE_STEP_ID"' },
  }));
  const started = await postJson(`${api.baseUrl}/api/runs`, {
    spec: { name: 'long', steps, output: '${{ steps.s29.output.stdout }}' },
  });
  const run = await waitForRun(api, started.body.runId, isClosed, 120_000);
  expect(run.status).toBe('completed');
  expect(run.output).toBe('s29');
  expect(run.steps.every((step) => step.status === 'completed')).toBe(true);

  const ran = (
    await readFile(join(api.config.TROUPE_DATA_DIR, 'workspaces', started.body.runId, 'ran.log'), 'utf8')
  )
    .trim()
    .split('\n');
  expect(ran).toEqual(steps.map((step) => step.id));

  const executions = [];
  for await (const execution of env.client.workflow.list({ query: `WorkflowId = '${started.body.runId}'` })) {
    executions.push(execution.status.name);
  }
  expect(executions.filter((status) => status === 'CONTINUED_AS_NEW').length).toBeGreaterThanOrEqual(2);
});
