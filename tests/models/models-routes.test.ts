import { mkdtemp } from 'node:fs/promises';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import express from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createModelActivities } from '../../src/activities/model-activities';
import { notFound, problemHandler } from '../../src/api/http-error';
import { modelsRoutes } from '../../src/api/models-routes';
import { startFakeModelServer, type FakeModelServer } from '../../src/fake-models/server';
import { createModelRuntime } from '../../src/models/model-runtime';
import { activityEnv, closedPort, fakeModels, testRuntime, type TestRuntime } from './helpers';

let fake: FakeModelServer;
let server: Server;
let baseUrl: string;
let setup: TestRuntime;
let deadPort: number;

beforeAll(async () => {
  fake = await startFakeModelServer({ script: { models: { ...fakeModels, 'cloud-big': { status: 500 } } } });
  deadPort = await closedPort();
  setup = await testRuntime(fake, {
    providers: [
      { id: 'local', kind: 'ollama', baseUrl: `http://127.0.0.1:${deadPort}` },
      { id: 'cloud', kind: 'openai', baseUrl: fake.openaiUrl, apiKeyEnv: 'TEST_CLOUD_KEY' },
    ],
  });
  const app = express();
  app.use('/api/models', modelsRoutes({ runtime: setup.runtime }));
  app.use(notFound);
  app.use(problemHandler);
  server = await new Promise((resolve) => {
    const listening = app.listen(0, '127.0.0.1', () => resolve(listening));
  });
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise((resolve) => server?.close(resolve));
  await fake?.close();
});

describe('GET /api/models', () => {
  it('lists every model with its provider health and circuit breaker state', async () => {
    const { callModel } = createModelActivities({ runtime: setup.runtime });
    for (let i = 0; i < 3; i++) {
      await activityEnv()
        .run(callModel, { modelId: 'cloud-big', runId: 'r', stepId: 's', prompt: 'x' })
        .catch(() => undefined);
    }
    const response = await fetch(`${baseUrl}/api/models`);
    expect(response.status).toBe(200);
    const body = await response.json();
    expect(body.catalogue).toBe('test-models.yaml');
    expect(body.models).toEqual([
      expect.objectContaining({
        id: 'local-coder',
        provider: 'local',
        local: true,
        health: 'down',
        healthError: `GET /api/tags is unreachable: connect ECONNREFUSED 127.0.0.1:${deadPort}`,
        breaker: 'closed',
      }),
      expect.objectContaining({
        id: 'cloud-mini',
        health: 'up',
        breaker: 'closed',
        pricing: { inputPerMillion: 0.15, outputPerMillion: 0.6 },
      }),
      expect.objectContaining({
        id: 'cloud-big',
        health: 'up',
        breaker: 'open',
        taskQueue: 'troupe-models-cloud',
      }),
    ]);
    const providers = body.providers as { id: string; health: { status: string } }[];
    expect(providers.map((provider) => [provider.id, provider.health.status])).toEqual([
      ['local', 'down'],
      ['cloud', 'up'],
    ]);
    expect(JSON.stringify(body)).not.toContain('test-key');
  });

  it('shows a breaker that a worker process opened, read from the breaker board in the shared data dir', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'troupe-board-'));
    const catalogue = setup.runtime.catalogue;
    const env = { TEST_CLOUD_KEY: 'test-key' };
    const worker = createModelRuntime({ catalogue, env, dataDir });
    const api = createModelRuntime({ catalogue, env, dataDir });
    const { callModel } = createModelActivities({ runtime: worker });
    for (let i = 0; i < 3; i++) {
      await activityEnv()
        .run(callModel, { modelId: 'cloud-big', runId: 'r', stepId: 's', prompt: 'x' })
        .catch(() => undefined);
    }
    await worker.board?.settled();
    const app = express().use('/api/models', modelsRoutes({ runtime: api }));
    const apiServer: Server = await new Promise((resolve) => {
      const listening = app.listen(0, '127.0.0.1', () => resolve(listening));
    });
    try {
      const response = await fetch(
        `http://127.0.0.1:${(apiServer.address() as AddressInfo).port}/api/models`,
      );
      const body = (await response.json()) as { models: { id: string; breaker: string }[] };
      expect(api.breakers.state('cloud-big')).toBe('closed');
      expect(body.models.find((model) => model.id === 'cloud-big')?.breaker).toBe('open');
      expect(body.models.find((model) => model.id === 'cloud-mini')?.breaker).toBe('closed');
    } finally {
      await new Promise((resolve) => apiServer.close(resolve));
    }
  });

  it('answers a bad query parameter with problem+json naming it', async () => {
    const response = await fetch(`${baseUrl}/api/models?refresh=maybe`);
    expect(response.status).toBe(400);
    expect(response.headers.get('content-type')).toMatch(/application\/problem\+json/);
    const body = await response.json();
    expect(body.errors).toEqual([
      { path: 'query.refresh', message: expect.stringMatching(/expected one of "true"\|"false"/) },
    ]);
  });
});
