import type { ChildProcess } from 'node:child_process';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startFakeModelServer, type FakeModelServer } from '../../src/fake-models/server';
import { postJson, spawnWorker, startApiServerForTest, waitUntil, type Api } from '../helpers/harness';
import { startTestTemporal } from '../helpers/temporal';
import { shippedCatalogueOn, shippedModels } from '../models/helpers';
import { answersTo, createSession, readSession, turnDone, waitForSession } from './helpers';

let env: TestWorkflowEnvironment;
let api: Api;
let fake: FakeModelServer;
let modelEnv: Record<string, string>;
const workers: ChildProcess[] = [];

const longReply = Array.from({ length: 80 }, (_, index) => `part${index}`).join(' ');

beforeAll(async () => {
  fake = await startFakeModelServer();
  fake.setScript({
    models: shippedModels,
    replies: [{ match: { prompt: 'a long answer' }, reply: longReply, latencyMs: 1500, tokensPerSecond: 20 }],
  });
  modelEnv = shippedCatalogueOn(fake).env;
  env = await startTestTemporal();
  const { loadAgentRegistry } = await import('../../src/agents/registry');
  api = await startApiServerForTest(env, 'chat crash', { agents: await loadAgentRegistry() });
});

afterAll(async () => {
  for (const worker of workers) worker.kill('SIGKILL');
  await api?.close();
  await env?.teardown();
  await fake?.close();
});

const startWorker = () => {
  const worker = spawnWorker(env, api, modelEnv);
  workers.push(worker);
  return worker;
};

it('finishes a reply once when the agents worker is killed mid-reply and another starts', async () => {
  const first = startWorker();
  const sessionId = await createSession(api.baseUrl);
  const sent = await postJson(`${api.baseUrl}/api/chat/sessions/${sessionId}/messages`, {
    text: 'give me a long answer',
    agent: 'architecture-advisor',
  });
  expect(sent.status, JSON.stringify(sent.body)).toBe(202);
  const turn: string = sent.body.message.id;
  const asked = () => fake.requests.filter((request) => request.prompt === 'give me a long answer').length;
  await waitUntil(() => asked() === 1, { timeoutMs: 90_000, what: 'the model to be asked' });
  // Mid-reply: the model is still writing when the worker dies.
  await new Promise((resolve) => setTimeout(resolve, 2000));
  first.kill('SIGKILL');
  await new Promise((resolve) => first.once('exit', resolve));
  expect((await env.client.workflow.getHandle(sessionId).describe()).status.name).toBe('RUNNING');

  startWorker();
  const session = await waitForSession(api.baseUrl, sessionId, turnDone(turn), {
    timeoutMs: 120_000,
    what: 'the reply after the restart',
  });
  const replies = answersTo(session, turn);
  expect(replies).toHaveLength(1);
  expect(replies[0]).toMatchObject({ status: 'done', agent: 'architecture-advisor' });
  expect(replies[0]?.text).toContain('part79');
  expect(asked()).toBe(2);
  const history = await env.client.workflow.getHandle(sessionId).fetchHistory();
  const completed = history.events?.filter((event) => event.activityTaskCompletedEventAttributes) ?? [];
  expect(completed).toHaveLength(1);
}, 240_000);

it('keeps the whole conversation when the API and the workers restart', async () => {
  const sessionId = await createSession(api.baseUrl, { title: 'Survives restarts' });
  const sent = await postJson(`${api.baseUrl}/api/chat/sessions/${sessionId}/messages`, {
    text: 'remember the number 42',
    agent: 'tester',
  });
  const before = await waitForSession(api.baseUrl, sessionId, turnDone(sent.body.message.id), {
    timeoutMs: 90_000,
  });
  for (const worker of workers.splice(0)) {
    if (worker.exitCode !== null || worker.signalCode !== null) continue;
    const exited = new Promise((resolve) => worker.once('exit', resolve));
    worker.kill('SIGKILL');
    await exited;
  }
  await api.close();
  const { loadAgentRegistry } = await import('../../src/agents/registry');
  api = await startApiServerForTest(env, 'chat crash', {
    agents: await loadAgentRegistry(),
    dataDir: api.config.TROUPE_DATA_DIR,
  });
  startWorker();
  const after = await waitForSession(api.baseUrl, sessionId, () => true, { timeoutMs: 90_000 });
  expect(after.messages).toEqual(before.messages);
  expect(after.title).toBe('Survives restarts');
  const next = await postJson(`${api.baseUrl}/api/chat/sessions/${sessionId}/messages`, {
    text: 'what was the number?',
    agent: 'tester',
  });
  await waitForSession(api.baseUrl, sessionId, turnDone(next.body.message.id), { timeoutMs: 90_000 });
  expect((await readSession(api.baseUrl, sessionId)).messages.length).toBe(before.messages.length + 2);
}, 240_000);
