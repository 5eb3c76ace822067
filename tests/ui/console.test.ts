import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startFakeModelServer, type FakeModelServer } from '../../src/fake-models/server';
import type { OutcomeRecord } from '../../src/learning/outcome-record';
import { StoreOutcomeStore } from '../../src/learning/outcome-store';
import { storeOf } from '../../src/store/store';
import { isClosed, postJson, readExample, waitForRun, waitUntil } from '../helpers/harness';
import { shippedCatalogueOn, shippedModels } from '../models/helpers';
import { expectAccessible, launchChromium, openPage, screenshot, screenshotsDir } from './pages-browser';
import { startUiStack, type UiStack } from './ui-stack';

/** Where the tests leave their pictures: look at them after a change to the console. */

let stack: UiStack;
let fake: FakeModelServer;
let browser: Browser;
let page: Page;
let base: string;

const slowReply = Array.from({ length: 300 }, (_, index) => `token${index}`).join(' ');

beforeAll(async () => {
  mkdirSync(screenshotsDir, { recursive: true });
  fake = await startFakeModelServer();
  fake.setScript({
    models: shippedModels,
    replies: [
      { match: { prompt: 'tell a slow story' }, reply: slowReply, latencyMs: 500, tokensPerSecond: 30 },
    ],
  });
  [stack, browser] = await Promise.all([
    startUiStack('ui console', shippedCatalogueOn(fake).runtime),
    launchChromium(),
  ]);
  base = stack.ui.baseUrl;
}, 240_000);

afterAll(async () => {
  await browser?.close();
  await stack?.stop();
  await fake?.close();
});

beforeEach(async () => {
  await page?.context().close();
  page = await openPage(browser, undefined, { height: 860 });
});

async function startRun(spec: unknown, input: Record<string, unknown> = {}): Promise<string> {
  const started = await postJson(`${base}/api/runs`, { spec, input });
  expect(started.status).toBe(201);
  return started.body.runId as string;
}

/** Counts full page loads, so a test can say the page changed without one. */
function countLoads(target: Page): () => number {
  let loads = 0;
  target.on('load', () => (loads += 1));
  return () => loads;
}

const stepStatus = (stepId: string) =>
  page.locator(`[data-step-id="${stepId}"]`).getAttribute('data-step-status');

describe('the console, in Chromium, against the real stack', () => {
  it('serves the console at / and the runs list shows a started run, with a link to Temporal Web', async () => {
    const runId = await startRun(await readExample('hello.yaml'), { name: 'ui' });
    await waitForRun(stack.ui, runId, isClosed);
    await page.goto(`${base}/`);
    await page.waitForURL(`${base}/runs`);
    const row = page.locator(`[data-run-id="${runId}"]`);
    await row.waitFor();
    await waitUntil(async () => (await row.getAttribute('data-run-status')) === 'completed', {
      what: 'completed',
    });
    const link = row.getByRole('link', { name: `${runId} in Temporal Web` });
    expect(await link.getAttribute('href')).toContain(`/workflows/${runId}`);
    await expectAccessible(page, 'runs list');
    await page.screenshot({ path: join(screenshotsDir, 'runs-list.png') });
    // The API's own paths are not shadowed by the console.
    const health = await fetch(`${base}/healthz`, { headers: { accept: 'text/html' } });
    expect(health.headers.get('content-type')).not.toContain('text/html');
    const missing = await fetch(`${base}/api/nothing`, { headers: { accept: 'text/html' } });
    expect(missing.status).toBe(404);
    expect(missing.headers.get('content-type')).toContain('problem+json');
  });

  it('shows examples/parallel.yaml as seven nodes that all turn completed without a reload', async () => {
    const loads = countLoads(page);
    const runId = await startRun(await readExample('parallel.yaml'), { pause: 5 });
    await page.goto(`${base}/runs/${runId}`);
    await page.locator('[data-step-id]').nth(6).waitFor();
    expect(await page.locator('[data-step-id]').count()).toBe(7);
    const seen = new Set<string>();
    await waitUntil(
      async () => {
        const statuses = await page
          .locator('[data-step-id]')
          .evaluateAll((nodes) => nodes.map((node) => node.getAttribute('data-step-status')));
        statuses.forEach((status) => seen.add(String(status)));
        return statuses.every((status) => status === 'completed');
      },
      { timeoutMs: 60_000, what: 'all seven nodes completed' },
    );
    expect(seen.has('running') || seen.has('pending')).toBe(true);
    expect(loads()).toBe(1);
    await page.locator('[data-step-id="join"]').getByRole('button', { name: 'join' }).click();
    await page
      .getByTestId('step-panel')
      .getByText(/joined/)
      .first()
      .waitFor();
    await expectAccessible(page, 'run page');
    await page.screenshot({ path: join(screenshotsDir, 'run-page.png'), fullPage: true });
  });

  it('lists examples/approval.yaml in the inbox, with a count in the navigation, and approving there completes it', async () => {
    const runId = await startRun(await readExample('approval.yaml'));
    await page.goto(`${base}/approvals`);
    const entry = page.locator(`li[data-run-id="${runId}"]`);
    await entry.waitFor({ timeout: 30_000 });
    expect(await entry.textContent()).toContain('Publish release 1.0?');
    expect(await entry.getByTestId('deadline').textContent()).toContain('rejected by default');
    expect(Number(await page.getByTestId('approvals-count').textContent())).toBeGreaterThanOrEqual(1);
    await expectAccessible(page, 'approvals inbox');
    await page.screenshot({ path: join(screenshotsDir, 'approvals-inbox.png') });
    await entry.getByLabel('Comment').fill('ship it');
    await entry.getByRole('button', { name: `Approve review of ${runId}` }).click();
    const run = await waitForRun(stack.ui, runId, isClosed);
    expect(run.status).toBe('completed');
    expect(run.output).toBe('published release 1.0 (approved: ship it)');
    await entry.waitFor({ state: 'detached', timeout: 15_000 });
  });

  it('cancelling a running fan-out from its page shows its compensations, in the order they ran', async () => {
    const runId = await startRun(await readExample('parallel.yaml'), { pause: 30 });
    await page.goto(`${base}/runs/${runId}`);
    await waitUntil(async () => (await stepStatus('part1')) === 'running', {
      what: 'part1 running',
      timeoutMs: 30_000,
    });
    await page.getByRole('button', { name: 'Cancel run' }).click();
    const run = await waitForRun(
      stack.ui,
      runId,
      (current) => isClosed(current) && current.compensations.every((c) => c.status !== 'running'),
    );
    expect(run.status).toBe('cancelled');
    expect(run.compensations.length).toBeGreaterThan(0);
    const marked = page.locator('[data-compensation-step]');
    await waitUntil(async () => (await marked.count()) === run.compensations.length, {
      what: 'compensation nodes',
    });
    const shown = await marked.evaluateAll((nodes) =>
      nodes
        .map(
          (node) =>
            [
              Number(node.getAttribute('data-compensation-order')),
              node.getAttribute('data-compensation-step'),
            ] as const,
        )
        .sort((a, b) => a[0] - b[0])
        .map(([, stepId]) => stepId),
    );
    expect(shown).toEqual(run.compensations.map((record) => record.stepId));
    await page.locator('[data-run-status="cancelled"]').first().waitFor();
  });

  it("shows a model step's tokens as they stream, before the step completes", async () => {
    const runId = await startRun({
      name: 'story',
      steps: [{ id: 'tell', kind: 'model', with: { prompt: 'tell a slow story', policy: 'local-first' } }],
      output: '${{ steps.tell.output.text }}',
    });
    await page.goto(`${base}/runs/${runId}`);
    const tokens = page.locator('[data-step-id="tell"] [data-testid="step-tokens"]');
    await tokens.waitFor({ timeout: 30_000 });
    const first = (await tokens.textContent()) ?? '';
    await waitUntil(async () => ((await tokens.textContent()) ?? '') !== first, { what: 'more tokens' });
    expect(await stepStatus('tell')).toBe('running');
    await waitUntil(async () => (await stepStatus('tell')) === 'completed', {
      timeoutMs: 30_000,
      what: 'tell completed',
    });
  });

  it('says when the API is unreachable, and catches up by itself when it is back', async () => {
    const loads = countLoads(page);
    const runId = await startRun(await readExample('parallel.yaml'), { pause: 3 });
    await page.goto(`${base}/runs/${runId}`);
    await waitUntil(async () => (await stepStatus('prepare')) === 'completed', {
      what: 'prepare',
      timeoutMs: 30_000,
    });
    await stack.stopApi();
    await page.getByTestId('api-unreachable').waitFor({ timeout: 15_000 });
    await waitForRunDirect(runId);
    expect(await stepStatus('join')).not.toBe('completed');
    await stack.startApi();
    await page.getByTestId('api-unreachable').waitFor({ state: 'detached', timeout: 20_000 });
    await waitUntil(async () => (await stepStatus('join')) === 'completed', {
      what: 'join after reconnect',
      timeoutMs: 20_000,
    });
    expect(loads()).toBe(1);
  });
});

describe('the dashboards and the forecasts, in Chromium', () => {
  /** A record as the workers' recordOutcomes activity writes it, `secondsAgo` before now. */
  const record = (runId: string, over: Partial<OutcomeRecord>, secondsAgo = 600): OutcomeRecord => ({
    runId,
    specName: 'dash',
    stepId: 'work',
    inputTokens: 200,
    outputTokens: 80,
    costUsd: 0,
    durationMs: 1_000,
    attempts: 1,
    success: true,
    score: 100,
    grade: 'EXCELLENT',
    features: { stepKind: 'agent', capabilities: [], inputTokens: 200, specName: 'dash' },
    endedAt: new Date(Date.now() - secondsAgo * 1000).toISOString(),
    ...over,
  });
  const choice = (agent: string) => ({
    agent,
    needs: ['tests'],
    context: 'agent:tests:small',
    explored: agent === 'coder',
    reason: `${agent}: highest expected reward`,
    alternatives: ['coder', 'tester'].map((id) => ({
      agent: id,
      estimate: 0.6,
      successMean: 0.8,
      qualityMean: 0.8,
      observations: 1,
    })),
  });

  it("shows each agent's and model's figures, the learning curve, a regression as a toast, and a run's forecast", async () => {
    const store = new StoreOutcomeStore(storeOf(stack.api.config));
    const agents = [
      ['coder', 'qwen2.5-coder:7b', 0, 1_400, true],
      ['coder', 'qwen2.5-coder:7b', 0, 2_100, true],
      ['coder', 'gpt-4o-mini', 0.003, 900, false],
      ['reviewer', 'gpt-4o-mini', 0.002, 700, true],
      ['debugger', 'llama3.2:3b', 0, 3_200, true],
    ] as const;
    for (const [index, [agent, model, costUsd, durationMs, success]] of agents.entries())
      await store.put(
        record(
          `dash-${index}`,
          {
            agent,
            model,
            costUsd,
            durationMs,
            success,
            score: success ? 90 : 0,
            grade: success ? 'EXCELLENT' : 'POOR',
          },
          86_400 * (index % 3) + 900,
        ),
      );
    for (const [index, agent] of ['coder', 'tester', 'coder', 'tester', 'tester', 'tester'].entries()) {
      const ok = agent === 'tester';
      await store.put(
        record(
          `pick-${index}`,
          {
            stepId: 'check',
            agent,
            success: ok,
            score: ok ? 100 : 0,
            grade: ok ? 'EXCELLENT' : 'POOR',
            features: { stepKind: 'agent', capabilities: ['tests'], inputTokens: 10, specName: 'dash' },
            choice: choice(agent),
          },
          3_600 - index * 10,
        ),
      );
    }

    await page.goto(`${base}/dashboards`);
    const agentTable = page.getByRole('table', { name: 'Performance per agent' });
    await agentTable.locator('[data-row-id="coder"]').waitFor();
    expect(await agentTable.locator('[data-row-id="coder"]').getAttribute('data-success-rate')).toBe(
      String(2 / 5),
    );
    await page
      .getByRole('table', { name: 'Performance per model' })
      .locator('[data-row-id="gpt-4o-mini"]')
      .waitFor();
    await page.locator('[data-chart="learning-curve"] .recharts-line-dot').first().waitFor();
    expect(await page.getByTestId('hindsight-best').textContent()).toContain('best in hindsight tester');

    // A slow run against five quick ones of the same spec: a toast on the open page, once.
    const spec = `alerted-${Date.now()}`;
    for (let i = 0; i < 5; i++)
      await store.put(record(`${spec}-${i}`, { specName: spec, agent: undefined }, 120 - i));
    await store.put(record(`${spec}-slow`, { specName: spec, agent: undefined, durationMs: 4_000 }, 1));
    const toast = page.locator(`[data-alert-id="${spec}-slow:durationMs"]`);
    await toast.waitFor({ timeout: 20_000 });
    expect(await toast.textContent()).toContain('Regression: Duration 300% worse');
    await expectAccessible(page, 'dashboards');
    await screenshot(page, 'dashboards-analytics');
    await toast.getByRole('button', { name: /Dismiss/ }).click();
    await toast.waitFor({ state: 'detached' });

    // A run's page says what the records predict for it.
    const runId = await startRun(await readExample('hello.yaml'));
    await page.goto(`${base}/runs/${runId}`);
    const forecast = page.getByTestId('run-forecast');
    await forecast.waitFor();
    expect(await forecast.textContent()).toMatch(/\d+% chance of success · about \$[\d.]+ · about /);
    expect(['low', 'medium', 'high']).toContain(await forecast.getAttribute('data-confidence'));
    await page.locator('.run-page[data-run-status]').waitFor();
    await screenshot(page, 'run-forecast');
    await waitForRun(stack.ui, runId, isClosed);
    // Made again as steps end: once both of hello's steps have, the forecast knows the run succeeded.
    await page.locator('[data-testid="run-forecast"][data-success="1"]').waitFor({ timeout: 15_000 });
    expect(await forecast.textContent()).toMatch(
      /^Forecast: 100% chance of success .*; as of 2 ended steps\)/,
    );
    await screenshot(page, 'run-forecast-ended');
  });
});

/** Waits for the run to close through Temporal itself, while the API is down. */
async function waitForRunDirect(runId: string) {
  await stack.env.client.workflow.getHandle(runId).result();
}
