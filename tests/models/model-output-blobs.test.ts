import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ApplicationFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DiskBlobStore } from '../../src/activities/blob-store';
import {
  createModelActivities,
  MODEL_OUTPUT_INLINE_BYTES,
  type CallModelActivityInput,
  type CallModelActivityResult,
} from '../../src/activities/model-activities';
import type { BlobRef } from '../../src/engine/blob-ref';
import type { RunSnapshot } from '../../src/engine/run-snapshot';
import { startFakeModelServer, type FakeModelServer } from '../../src/fake-models/server';
import { SIMULATED_PREFIX } from '../../src/fake-models/replies';
import { startStack, type Stack } from '../helpers/stack';
import { isClosed, postJson, waitForRun, type Api } from '../helpers/harness';
import { fakeModels, shippedCatalogueOn, shippedModels, testRuntime } from './helpers';

let stack: Stack;
let fake: FakeModelServer;
let api: Api;

beforeAll(async () => {
  fake = await startFakeModelServer();
  stack = await startStack('model output blobs', { models: shippedCatalogueOn(fake).runtime });
  ({ api } = stack);
});

afterAll(async () => {
  await stack?.stop();
  await fake?.close();
});

/** 300 KB of essay: over the 128 KB a model answer keeps inline, under llama3.1's context window. */
const essay = 'Sagas undo what they did, one step at a time.\n'.repeat(6_700);
const body = 'r'.repeat(200_000);

const spec = {
  name: 'long-answers',
  steps: [
    { id: 'essay', kind: 'model', with: { model: 'gpt-4o-mini', prompt: 'Write a long essay on sagas.' } },
    { id: 'title', kind: 'model', with: { model: 'gpt-4o-mini', prompt: 'Give the essay a title.' } },
    {
      id: 'report',
      kind: 'model',
      with: {
        model: 'gpt-4o-mini',
        prompt: 'Report as JSON.',
        schema: { type: 'object', properties: { body: { type: 'string' } }, required: ['body'] },
      },
    },
    {
      id: 'summary',
      kind: 'model',
      dependsOn: ['essay'],
      with: { model: 'llama3.1:8b', prompt: 'Summarise: ${{ steps.essay.output.text }}' },
    },
    {
      id: 'measure',
      kind: 'tool',
      tool: 'noop',
      dependsOn: ['essay', 'report', 'summary'],
      with: {
        essay: '${{ size(steps.essay.output.text) }}',
        head: '${{ steps.essay.output.text.substring(0, 17) }}',
        body: '${{ size(steps.report.output.json.body) }}',
        summary: '${{ size(steps.summary.output.text) }}',
      },
    },
  ],
};

function stepOutput(run: RunSnapshot, id: string) {
  return run.steps.find((step) => step.id === id)?.output as { text: unknown; json?: { body: unknown } };
}

async function blobText(ref: unknown): Promise<string> {
  const response = await fetch(`${api.baseUrl}/api/blobs/${(ref as BlobRef).$blob}`);
  expect(response.status).toBe(200);
  return response.text();
}

describe('model answers over 128 KB', () => {
  it('travel as blob references that templates, size() and GET /api/blobs read whole, with history kept small', async () => {
    fake.setScript({
      models: shippedModels,
      replies: [
        { match: { prompt: 'Write a long essay' }, reply: essay },
        { match: { prompt: 'Give the essay a title' }, reply: 'Undoing, step by step' },
        { match: { prompt: 'Report as JSON' }, json: { body } },
        // The local model answers with what it was asked, so its answer shows the whole essay reached it.
        { match: { prompt: 'Summarise: ' }, reply: 'In short: {{prompt}}' },
      ],
    });
    const before = fake.requests.length;
    const started = await postJson(`${api.baseUrl}/api/runs`, { spec });
    expect(started.status, JSON.stringify(started.body)).toBe(201);
    const runId = started.body.runId as string;
    const run = await waitForRun(api, runId, isClosed);
    expect(run.status, run.error).toBe('completed');

    const essayText = `${SIMULATED_PREFIX}${essay}`;
    const ref = { $blob: expect.stringMatching(/^sha256:[0-9a-f]{64}$/), preview: expect.any(String) };
    expect(stepOutput(run, 'essay')).toEqual({
      text: { ...ref, bytes: essayText.length },
      model: 'gpt-4o-mini',
    });
    expect(await blobText(stepOutput(run, 'essay').text)).toBe(essayText);
    // A short answer stays inline.
    expect(stepOutput(run, 'title').text).toBe(`${SIMULATED_PREFIX}Undoing, step by step`);
    // Structured output: the raw JSON text and the long string in the parsed JSON are both references.
    const report = stepOutput(run, 'report');
    expect(report.json?.body).toEqual({ ...ref, bytes: body.length });
    expect(await blobText(report.json?.body)).toBe(body);
    expect(JSON.parse(await blobText(report.text))).toEqual({ body });

    // The summary's prompt was the essay's reference: the model still got the whole text.
    const prompt = `Summarise: ${essayText}`;
    const asked = fake.requests.slice(before).find((request) => request.model === 'llama3.1:8b');
    expect(asked).toMatchObject({ api: 'ollama' });
    expect(asked?.prompt).toBe(prompt);
    const summaryText = `${SIMULATED_PREFIX}In short: ${prompt}`;
    expect(stepOutput(run, 'summary').text).toEqual({ ...ref, bytes: summaryText.length });
    expect(await blobText(stepOutput(run, 'summary').text)).toBe(summaryText);

    expect(run.steps.find((step) => step.id === 'measure')?.output).toEqual({
      essay: essayText.length,
      head: essayText.slice(0, 17),
      body: body.length,
      summary: summaryText.length,
    });

    // History holds references, not the answers: every callModel result is a few KB at most.
    const history = await stack.env.client.workflow.getHandle(runId).fetchHistory();
    const events = history.events ?? [];
    const callModels = new Set(
      events
        .filter((event) => event.activityTaskScheduledEventAttributes?.activityType?.name === 'callModel')
        .map((event) => String(event.eventId)),
    );
    const results = events
      .map((event) => event.activityTaskCompletedEventAttributes)
      .filter((done) => done != null && callModels.has(String(done.scheduledEventId)))
      .map((done) => (done?.result?.payloads ?? []).reduce((sum, p) => sum + (p.data?.length ?? 0), 0));
    expect(results).toHaveLength(4);
    for (const bytes of results) expect(bytes).toBeLessThan(8_000);
    expect(JSON.stringify(history).length).toBeLessThan(300_000);
  });
});

describe('callModel with a blob store', () => {
  const newStore = async () => new DiskBlobStore(await mkdtemp(join(tmpdir(), 'troupe-model-blobs-')));

  /** callModel as a workflow of that type calls it, on a worker with that store (or none). */
  async function callAs(
    workflowType: string,
    input: CallModelActivityInput,
    blobs?: DiskBlobStore,
  ): Promise<CallModelActivityResult> {
    const { runtime } = await testRuntime(fake);
    const { callModel } = createModelActivities({ runtime, ...(blobs && { blobs }) });
    const env = new MockActivityEnvironment({ workflowType }, { logger: new DefaultLogger('ERROR') });
    return env.run<[CallModelActivityInput], CallModelActivityResult, typeof callModel>(callModel, input);
  }
  const input = (prompt: CallModelActivityInput['prompt']): CallModelActivityInput => ({
    modelId: 'cloud-mini',
    runId: 'run-1',
    stepId: 'essay',
    prompt,
  });
  /** A scripted answer that is exactly `bytes` long once the simulated prefix is added. */
  const answerOf = (bytes: number) => 'a'.repeat(bytes - SIMULATED_PREFIX.length);

  it('keeps an answer of exactly 128 KB inline and stores one a byte longer, for runs only', async () => {
    const limit = MODEL_OUTPUT_INLINE_BYTES;
    fake.setScript({
      models: fakeModels,
      replies: [
        { match: { prompt: 'at the limit' }, reply: answerOf(limit) },
        { match: { prompt: 'over the limit' }, reply: answerOf(limit + 1) },
      ],
    });
    const blobs = await newStore();
    const atLimit = await callAs('runWorkflow', input('at the limit'), blobs);
    expect(atLimit.text).toBe(`${SIMULATED_PREFIX}${answerOf(limit)}`);

    const over = await callAs('runWorkflow', input('over the limit'), blobs);
    expect(over.text).toMatchObject({ $blob: expect.stringMatching(/^sha256:/), bytes: limit + 1 });
    const stored = await blobs.get((over.text as BlobRef).$blob);
    expect(stored.toString('utf8')).toBe(`${SIMULATED_PREFIX}${answerOf(limit + 1)}`);
    expect(over.usage.outputTokens).toBeGreaterThan(0);

    // Another workflow (one that reads no references) gets the answer inline.
    const elsewhere = await callAs('modelStepWorkflow', input('over the limit'), blobs);
    expect(elsewhere.text).toBe(`${SIMULATED_PREFIX}${answerOf(limit + 1)}`);
  });

  it('reads a prompt given as a blob reference back, and refuses one it cannot read, naming the step', async () => {
    fake.setScript({ models: fakeModels });
    const prompt = 'Summarise the release notes';
    const blobs = await newStore();
    const ref: BlobRef = {
      $blob: await blobs.put(Buffer.from(prompt)),
      bytes: prompt.length,
      preview: prompt,
    };
    const before = fake.requests.length;
    await callAs('runWorkflow', input(ref), blobs);
    expect(fake.requests.slice(before).map((request) => request.prompt)).toEqual([prompt]);

    const refusal = async (store?: DiskBlobStore) => {
      const err = await callAs('runWorkflow', input(ref), store).catch((caught: unknown) => caught);
      expect(err).toBeInstanceOf(ApplicationFailure);
      expect(err).toMatchObject({ type: 'InvalidModelInput', nonRetryable: true });
      return (err as Error).message;
    };
    expect(await refusal()).toMatch(
      /^callModel got prompt of step "essay" as blob reference sha256:[0-9a-f]{64}, but this worker has no blob store/,
    );
    expect(await refusal(await newStore())).toMatch(
      /^callModel could not read prompt of step "essay" from blob sha256:[0-9a-f]{64}: ENOENT/,
    );
    // Neither refused call reached the model.
    expect(fake.requests.length).toBe(before + 1);
  });
});
