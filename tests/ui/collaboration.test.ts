import type { Browser, Page } from 'playwright-core';
import type { RunSnapshot } from '../../src/engine/run-snapshot';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultScriptPath, startFakeModelServer, type FakeModelServer } from '../../src/fake-models/server';
import { isClosed, postJson, readExample, waitForRun } from '../helpers/harness';
import { shippedCatalogueOn } from '../models/helpers';
import { expectAccessible, launchChromium, openPage, screenshot } from './pages-browser';
import { startUiStack, type UiStack } from './ui-stack';

let stack: UiStack;
let fake: FakeModelServer;
let browser: Browser;
let runId: string;

beforeAll(async () => {
  // The demo's scripted answers cover examples/collaborate.yaml: a judged, a voted, a debated and a best-of step.
  fake = await startFakeModelServer({ script: defaultScriptPath });
  [stack, browser] = await Promise.all([
    startUiStack('ui collaboration', shippedCatalogueOn(fake).runtime, { agents: true }),
    launchChromium(),
  ]);
  const started = await postJson(`${stack.ui.baseUrl}/api/runs`, {
    spec: await readExample('collaborate.yaml'),
  });
  expect(started.status).toBe(201);
  runId = started.body.runId as string;
  const run = await waitForRun(stack.ui, runId, isClosed, 120_000);
  expect(run.status).toBe('completed');
}, 300_000);

afterAll(async () => {
  await browser?.close();
  await stack?.stop();
  await fake?.close();
});

async function openStep(page: Page, stepId: string) {
  await page.goto(`${stack.ui.baseUrl}/runs/${runId}`);
  await page.locator(`[data-step-id="${stepId}"]`).getByRole('button', { name: stepId }).click();
  const section = page.getByTestId('step-panel').getByRole('region', { name: 'Collaboration' });
  await section.waitFor();
  return section;
}

describe("a collaborate step's record on the run page, in Chromium", () => {
  it("shows the judged step's three answers, the winner and the judge's reasons", async () => {
    const page = await openPage(browser);
    const section = await openStep(page, 'design');
    const run = (await (await fetch(`${stack.ui.baseUrl}/api/runs/${runId}`)).json()) as RunSnapshot;
    const record = run.steps.find((step) => step.id === 'design')!.collaboration!;
    expect(await section.getAttribute('data-mode')).toBe('judge');
    expect(await section.getAttribute('data-winner')).toBe(record.winner);
    const rows = section.getByRole('list', { name: 'Answers' }).getByRole('listitem');
    expect(await rows.count()).toBe(3);
    expect(await rows.evaluateAll((all) => all.map((row) => row.getAttribute('data-agent')))).toEqual([
      'architecture-advisor',
      'security-reviewer',
      'code-generator',
    ]);
    expect(await section.locator('li[aria-current="true"]').getAttribute('data-agent')).toBe(record.winner);
    const reasons = await section.getByTestId('verdict').locator('li').allTextContents();
    expect(reasons).toEqual(record.verdict!.reasons);
    expect(reasons.length).toBeGreaterThan(0);
    await expectAccessible(page, 'run page with a collaborate step');
    await screenshot(page, 'run-collaboration-desktop-light');
    await page.context().close();
  });

  it('shows the debate round by round, and the vote with its groups, at tablet width in the dark theme', async () => {
    const page = await openPage(browser, undefined, { width: 820, colorScheme: 'dark' });
    const debate = await openStep(page, 'naming');
    expect(await debate.getAttribute('data-mode')).toBe('debate');
    const rounds = await debate
      .getByRole('list', { name: 'Answers' })
      .getByRole('listitem')
      .evaluateAll((all) => all.map((row) => Number(row.getAttribute('data-round'))));
    expect(rounds[0]).toBe(0);
    expect(rounds).toEqual([...rounds].sort((a, b) => a - b));
    expect(Math.max(...rounds)).toBeGreaterThan(0);
    await screenshot(page, 'run-collaboration-tablet-dark');
    const vote = await openStep(page, 'store');
    expect(await vote.getAttribute('data-mode')).toBe('vote');
    expect(await vote.getByRole('list', { name: 'Vote' }).locator('li').count()).toBeGreaterThan(0);
    await page.context().close();
  });
});
