import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadAgentRegistry } from '../../src/agents/registry';
import { startFakeModelServer, type FakeModelServer } from '../../src/fake-models/server';
import { ToolSettings } from '../../src/tools/tool-kit';
import { isClosed, postJson, startApi, startWorker, waitForRun, type Api } from '../helpers/harness';
import { bundleWorkflows, startTestTemporal } from '../helpers/temporal';
import { shippedCatalogueOn, shippedModels } from '../models/helpers';

// The attack of the issue: a prompt-injected agent asks its HTTP tools to drive Troupe's own API.
let env: TestWorkflowEnvironment;
let api: Api;
let fake: FakeModelServer;
let worker: { stop: () => Promise<void> };

beforeAll(async () => {
  const [temporal, bundle, registry] = await Promise.all([
    startTestTemporal(),
    bundleWorkflows(),
    loadAgentRegistry(),
  ]);
  env = temporal;
  fake = await startFakeModelServer({ script: { models: shippedModels, replies: [] } });
  api = await startApi(env, 'agent egress', { agents: registry });
  // The operator allowed the loopback names, but without a port: the address rule still refuses them.
  const tools = ToolSettings.parse({ httpAllowHosts: ['127.0.0.1', 'localhost'] });
  worker = await startWorker(env, api, bundle, {
    models: shippedCatalogueOn(fake).runtime(api),
    agents: { registry, tools },
  });
}, 120_000);

afterAll(async () => {
  await worker?.stop();
  await api?.close();
  await env?.teardown();
  await fake?.close();
});

async function runIds(): Promise<string[]> {
  const response = await fetch(`${api.baseUrl}/api/runs?limit=100`);
  const body = (await response.json()) as { runs: { runId: string }[] };
  return body.runs.map((run) => run.runId);
}

describe('an agent steered at the API', () => {
  it('gets refusals in its step record for http_fetch and browse on the API, and starts nothing', async () => {
    const shellSpec = {
      name: 'pwned',
      steps: [{ id: 'x', kind: 'tool', tool: 'shell', with: { run: 'id' } }],
    };
    const inward = [
      `${api.baseUrl}/api/runs`,
      'http://127.0.0.1:3000/api/runs',
      `http://localhost:${new URL(api.baseUrl).port}/api/runs`,
    ];
    fake.setScript({
      models: shippedModels,
      replies: [
        {
          match: { agent: 'browser', prompt: '[inject turn 1]' },
          toolCalls: [
            ...inward.map((url) => ({ name: 'http_fetch', arguments: { url } })),
            {
              name: 'http_fetch',
              arguments: { url: inward[0], method: 'POST', body: JSON.stringify({ spec: shellSpec }) },
            },
            { name: 'browse', arguments: { url: inward[0] } },
          ],
        },
        {
          match: { agent: 'browser', prompt: '[inject turn 2]' },
          json: { ok: false, summary: 'refused', consoleErrors: [] },
        },
      ],
    });
    const started = await postJson(`${api.baseUrl}/api/runs`, {
      spec: {
        name: 'injected',
        steps: [{ id: 'inject', kind: 'agent', agent: 'browser', with: { task: 'Fetch the run list.' } }],
      },
    });
    expect(started.status, JSON.stringify(started.body)).toBe(201);
    const runId = started.body.runId as string;
    const result = await waitForRun(api, runId, isClosed, 120_000);
    expect(result.status, result.error).toBe('completed');
    const calls = (result.steps[0]?.output as { toolCalls: { tool: string; ok: boolean; error?: string }[] })
      .toolCalls;
    expect(calls.map((call) => call.tool)).toEqual([
      'http_fetch',
      'http_fetch',
      'http_fetch',
      'http_fetch',
      'browse',
    ]);
    for (const call of calls) {
      expect(call, JSON.stringify(call)).toMatchObject({
        ok: false,
        error: expect.stringContaining('inward-address') as string,
      });
    }
    expect(calls[0]?.error).toContain('127.0.0.1');
    expect(await runIds()).toEqual([runId]);
  }, 180_000);
});
