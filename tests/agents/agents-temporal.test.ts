import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker, type WorkflowBundle } from '@temporalio/worker';
import express from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAgentActivities } from '../../src/activities/agent-activities';
import { AgentStatusBoard } from '../../src/agents/agent-status';
import { loadAgentRegistry, type AgentRegistry } from '../../src/agents/registry';
import { agentsRoutes } from '../../src/api/agents-routes';
import { startFakeModelServer, type FakeModelServer } from '../../src/fake-models/server';
import { testDataConverter } from '../helpers/payload-codec';
import { bundleWorkflows, startTestTemporal, testQueue } from '../helpers/temporal';
import { fakeModels, testRuntime } from '../models/helpers';
import type { agentStepWorkflow } from './fixtures/agent-workflows';

let env: TestWorkflowEnvironment;
let bundle: WorkflowBundle;
let fake: FakeModelServer;
let registry: AgentRegistry;

beforeAll(async () => {
  [env, bundle, fake, registry] = await Promise.all([
    startTestTemporal(),
    bundleWorkflows(fileURLToPath(new URL('./fixtures/agent-workflows.ts', import.meta.url))),
    startFakeModelServer({ script: { models: fakeModels } }),
    loadAgentRegistry(),
  ]);
});

afterAll(async () => {
  await fake?.close();
  await env?.teardown();
});

describe('agents on Temporal', () => {
  it('resumes the conversation from the last heartbeat when Temporal retries a failed attempt', async () => {
    const queue = testQueue('resumes the conversation from the last heartbeat');
    fake.setScript({
      models: fakeModels,
      replies: [
        {
          match: { prompt: '[resume turn 1]' },
          toolCalls: [{ name: 'read_file', arguments: { path: 'notes.md' } }],
        },
        // Both tool-capable models answer 503 the first time each is asked turn 2 (their 2nd request).
        {
          match: { prompt: '[resume turn 2]' },
          status: 503,
          statusTimes: 2,
          json: { summary: 'resumed', bullets: [] },
        },
      ],
    });
    const { runtime } = await testRuntime(fake);
    const dataDir = await mkdtemp(join(tmpdir(), 'troupe-agents-temporal-'));
    const activities = createAgentActivities({ runtime, registry, workspaces: { dataDir } });
    const worker = await Worker.create({
      connection: env.nativeConnection,
      dataConverter: testDataConverter,
      taskQueue: queue,
      workflowBundle: bundle,
      activities,
    });
    const seen = fake.requests.length;
    const result = await worker.runUntil(
      env.client.workflow.execute<typeof agentStepWorkflow>('agentStepWorkflow', {
        taskQueue: queue,
        workflowId: `${queue}-${Date.now()}`,
        args: [{ runId: 'resume-run', stepId: 'resume', agent: 'summarizer', task: 'Summarise notes.md.' }],
      }),
    );
    expect(result.output).toEqual({ summary: 'resumed', bullets: [] });
    expect(result.toolCalls).toEqual([
      { tool: 'read_file', ok: false, error: expect.stringContaining('notes.md') as string },
    ]);
    const prompts = fake.requests.slice(seen).map((request) => (request.prompt ?? '').slice(0, 15));
    expect(prompts.filter((prompt) => prompt.startsWith('[resume turn 1]'))).toHaveLength(1);
    expect(prompts.filter((prompt) => prompt.startsWith('[resume turn 2]')).length).toBeGreaterThanOrEqual(3);
  });

  it('serves GET /api/agents with the twelve agents, their live status and the queue depth', async () => {
    const queue = testQueue('serves GET api agents');
    fake.setScript({
      models: fakeModels,
      replies: [{ match: { prompt: '[status turn 1]' }, json: { summary: 's', bullets: [] } }],
    });
    const { runtime } = await testRuntime(fake);
    const dataDir = await mkdtemp(join(tmpdir(), 'troupe-agents-status-'));
    const status = new AgentStatusBoard(join(dataDir, 'agents', 'status'));
    const activities = createAgentActivities({ runtime, registry, workspaces: { dataDir }, status });
    const worker = await Worker.create({
      connection: env.nativeConnection,
      dataConverter: testDataConverter,
      taskQueue: queue,
      workflowBundle: bundle,
      activities,
    });
    await worker.runUntil(
      env.client.workflow.execute<typeof agentStepWorkflow>('agentStepWorkflow', {
        taskQueue: queue,
        workflowId: `${queue}-${Date.now()}`,
        args: [{ runId: 'status-run', stepId: 'status', agent: 'summarizer', task: 'Summarise.' }],
      }),
    );
    const app = express();
    app.use(
      '/api/agents',
      agentsRoutes({
        client: env.client,
        registry,
        status: { TROUPE_DATA_DIR: dataDir },
        taskQueues: [queue],
      }),
    );
    const server: Server = await new Promise((resolve) => {
      const listening = app.listen(0, '127.0.0.1', () => resolve(listening));
    });
    try {
      const { port } = server.address() as AddressInfo;
      const response = await fetch(`http://127.0.0.1:${port}/api/agents`);
      expect(response.status).toBe(200);
      const body = (await response.json()) as {
        agents: { id: string; status: { state: string; finished: number; successRate?: number } }[];
        queues: { taskQueue: string; backlog?: number; error?: string }[];
      };
      expect(body.agents).toHaveLength(12);
      expect(body.agents.find((agent) => agent.id === 'summarizer')?.status).toMatchObject({
        state: 'idle',
        finished: 1,
        successRate: 1,
      });
      expect(body.agents.find((agent) => agent.id === 'deploy')?.status).toMatchObject({
        state: 'idle',
        finished: 0,
      });
      expect(body.queues).toEqual([{ taskQueue: queue, backlog: 0, pollers: expect.any(Number) as number }]);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
