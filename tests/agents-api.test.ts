import type { AddressInfo } from 'node:net';
import { ApiConfig } from '../src/api/api-config';
import type { Server } from 'node:http';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { loadAgentRegistry } from '../src/agents/registry';
import { createApp } from '../src/api/app';
import { Config } from '../src/config';
import { shippedAgents } from './agents/helpers';
import { postJson } from './helpers/harness';
import { startTestTemporal, testQueue } from './helpers/temporal';

let env: TestWorkflowEnvironment;
let server: Server;
let baseUrl: string;

beforeAll(async () => {
  env = await startTestTemporal();
  const config = Config.parse({ TEMPORAL_ADDRESS: env.address, TROUPE_TASK_QUEUE: testQueue('agents api') });
  const app = createApp({
    client: env.client,
    config,
    api: ApiConfig.parse({ TROUPE_AUTH: 'off' }),
    agents: await loadAgentRegistry(),
  });
  server = await new Promise((resolve) => {
    const listening = app.listen(0, '127.0.0.1', () => resolve(listening));
  });
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server?.close();
  server?.closeAllConnections();
  await env?.teardown();
});

it('lists the 12 agents with live status and the depth of the agents and tools queues', async () => {
  const response = await fetch(`${baseUrl}/api/agents`);
  expect(response.status).toBe(200);
  const body = (await response.json()) as {
    agents: { id: string; status: { state: string } }[];
    queues: { taskQueue: string; pollers: number }[];
  };
  expect(body.agents.map((agent) => agent.id).sort()).toEqual(shippedAgents);
  expect(body.agents.every((agent) => agent.status.state === 'idle')).toBe(true);
  expect(body.queues.map((queue) => queue.taskQueue)).toEqual([
    'test-agents-api-agents',
    'test-agents-api-tools',
  ]);
});

it('refuses a run that names an agent the registry does not have, listing the ones it has', async () => {
  const spec = { name: 'x', steps: [{ id: 'a', kind: 'agent', agent: 'wizard', with: { task: 'magic' } }] };
  const response = await postJson(`${baseUrl}/api/runs`, { spec });
  expect(response.status).toBe(400);
  expect(response.body.errors).toEqual([
    {
      path: 'spec.steps[0].agent',
      message: expect.stringMatching(
        /^unknown agent "wizard"; the registry has architecture-advisor, browser, /,
      ),
    },
  ]);
});
