import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { loadScript } from '../../src/fake-models/script';
import { defaultScriptPath, startFakeModelServer, type FakeModelServer } from '../../src/fake-models/server';
import { ensureUiBuilt, expectAccessible, launchChromium, openPage, screenshotsDir } from './pages-browser';
import { startStack, type Stack } from '../helpers/stack';
import { shippedCatalogueOn } from '../models/helpers';
import { newChat, say, until } from './chat-page';

let stack: Stack;
let fake: FakeModelServer;
let browser: Browser;
let page: Page;
let base: string;

// About 8 s of streaming: long enough to see it grow, reload in the middle, or stop it.
const slowReply = Array.from({ length: 120 }, (_, index) => `word${index}`).join(' ');

beforeAll(async () => {
  ensureUiBuilt();
  mkdirSync(screenshotsDir, { recursive: true });
  fake = await startFakeModelServer();
  const script = loadScript(defaultScriptPath);
  fake.setScript({
    ...script,
    replies: [
      { match: { prompt: 'stream slowly' }, reply: slowReply, latencyMs: 300, tokensPerSecond: 15 },
      {
        match: { prompt: '/attachments\\/sales\\.csv/' },
        toolCalls: [{ name: 'read_file', arguments: { path: 'attachments/sales.csv' } }],
      },
      ...script.replies,
    ],
  });
  [stack, browser] = await Promise.all([
    startStack('ui chat', { server: true, agents: true, models: shippedCatalogueOn(fake).runtime }),
    launchChromium(),
  ]);
  base = stack.api.baseUrl;
}, 240_000);

afterAll(async () => {
  await browser?.close();
  await stack?.stop();
  await fake?.close();
});

beforeEach(async () => {
  await page?.context().close();
  page = await openPage(browser);
});

const answer = (id?: string) =>
  page.locator(id ? `[data-entry-id="${id}"]` : '[data-turn] [data-role="assistant"]').last();

async function shoot(name: string) {
  await page.screenshot({ path: join(screenshotsDir, `${name}.png`) });
  await page.setViewportSize({ width: 820, height: 1100 });
  await page.screenshot({ path: join(screenshotsDir, `${name}-tablet.png`) });
  await page.setViewportSize({ width: 1280, height: 900 });
}

describe('the chat page, in Chromium, against the real stack', () => {
  it('streams a single agent reply into its bubble, then shows its model, tokens, cost and simulated mark', async () => {
    await newChat(page, base);
    await page.getByLabel('Agent', { exact: true }).selectOption('architecture-advisor');
    await say(page, 'please stream slowly');
    const bubble = answer();
    await bubble.waitFor();
    const seen: string[] = [];
    await until('the reply to be done', async () => {
      const status = await bubble.getAttribute('data-status');
      const text = (await bubble.getByTestId('answer-text').textContent()) ?? '';
      if (status === 'running' && text) seen.push(text);
      return status === 'done';
    });
    // Seen growing while it was written: several lengths, each the start of the next.
    const lengths = [...new Set(seen.map((text) => text.length))];
    expect(lengths.length).toBeGreaterThan(2);
    expect(seen.at(-1)?.includes('word0')).toBe(true);
    expect(await bubble.getByTestId('answer-text').textContent()).toContain('word119');
    expect(await bubble.getByTestId('model').textContent()).toBeTruthy();
    expect(await bubble.getByTestId('tokens').textContent()).toMatch(/\d+ tokens/);
    expect(await bubble.getByTestId('cost').textContent()).toMatch(/^\$/);
    expect(await bubble.getByTestId('simulated').textContent()).toBe('simulated');
    await expectAccessible(page, 'chat page');
    await shoot('chat-single');
  }, 120_000);

  it('auto chooses an agent and says why', async () => {
    await newChat(page, base);
    await say(page, 'find the security vulnerabilities in the login code');
    const bubble = answer();
    await until('the reply', async () => (await bubble.getAttribute('data-status')) === 'done');
    expect(await bubble.getByTestId('why').textContent()).toMatch(/^auto chose security-reviewer: matches/);
  }, 60_000);

  it('shows a team of code-generator, security-reviewer and architecture-advisor side by side, and the resolution', async () => {
    await newChat(page, base);
    await page.getByLabel('Team', { exact: true }).check();
    for (const agent of ['code-generator', 'security-reviewer', 'architecture-advisor'])
      expect(await page.getByRole('checkbox', { name: agent, exact: true }).isChecked()).toBe(true);
    await page.getByLabel('Resolve by').selectOption('judge');
    await say(page, 'How should we store user passwords?');
    const resolution = page.getByTestId('resolution');
    await resolution.waitFor({ timeout: 90_000 });
    const answers = page.getByRole('region', { name: 'Team answers' }).locator('[data-role="assistant"]');
    expect(await answers.count()).toBe(3);
    expect(
      await answers.evaluateAll((nodes) => nodes.map((node) => node.getAttribute('aria-label'))),
    ).toEqual([
      'Answer from code-generator',
      'Answer from security-reviewer',
      'Answer from architecture-advisor',
    ]);
    for (let index = 0; index < 3; index += 1) {
      const one = answers.nth(index);
      expect(await one.getAttribute('data-status')).toBe('done');
      expect(await one.getByTestId('model').textContent()).toBeTruthy();
      expect(await one.getByTestId('tokens').textContent()).toMatch(/\d+ tokens/);
      expect(await one.getByTestId('cost').textContent()).toMatch(/^\$/);
    }
    expect(await resolution.getAttribute('data-method')).toBe('judge');
    expect(await resolution.getAttribute('data-disagreed')).toBe('true');
    expect(await resolution.getAttribute('data-winner')).toBe('security-reviewer');
    expect(await resolution.textContent()).toMatch(/disagreed; settled by the judge/);
    expect(await resolution.textContent()).toMatch(/the judge \(reviewer\) chose security-reviewer/);
    await expectAccessible(page, 'team answers');
    await shoot('chat-team');
  }, 120_000);

  it('turns "add a greet function with docs and tests" into a plan card, runs it once approved, and ends with its summary and a link to its graph', async () => {
    await newChat(page, base);
    await page.getByLabel('Workflow', { exact: true }).check();
    await say(page, 'add a greet function with docs and tests');
    const plan = page.locator('[data-role="plan"]');
    await until('the plan', async () => (await plan.getAttribute('data-plan-status')) === 'proposed', 90_000);
    await until(
      'the plan graph',
      async () => Number(await plan.getByTestId('run-graph').getAttribute('data-node-count')) >= 3,
    );
    expect(await plan.locator('[data-step-id="plan_code"]').count()).toBe(1);
    await expectAccessible(page, 'plan card');
    await shoot('chat-plan');
    // Edit as YAML shows the spec, then back to the graph.
    await plan.getByRole('button', { name: 'Edit as YAML' }).click();
    await until('the YAML', async () =>
      (
        (await plan
          .getByTestId('yaml-editor')
          .textContent()
          .catch(() => '')) ?? ''
      ).includes('agent: code-generator'),
    );
    await plan.getByRole('button', { name: 'Show the graph' }).click();
    await plan.getByRole('button', { name: 'Approve' }).click();
    await until(
      'the plan to be approved',
      async () => (await plan.getAttribute('data-plan-status')) === 'approved',
    );
    const run = page.locator('[data-role="run"]');
    await run.waitFor({ timeout: 30_000 });
    const runId = (await run.getAttribute('data-run-id')) ?? '';
    expect(runId).toBeTruthy();
    await until('the run to end', async () => (await run.getAttribute('data-status')) !== 'running', 90_000);
    expect(await run.getAttribute('data-run-status')).toBe('completed');
    expect(await run.textContent()).toContain('The team made the change, tested it and documented it.');
    // The plan's graph shows its run's outcome, not the pending steps it proposed.
    await until(
      'the plan graph to show the run',
      async () =>
        (await plan.locator('[data-step-id="plan_code"]').getAttribute('data-step-status')) === 'completed',
    );
    const link = run.getByRole('link', { name: "Open the run's graph" });
    expect(await link.getAttribute('href')).toBe(`/runs/${runId}`);
    // The run's card is the conversation's last entry.
    expect(
      await page
        .getByRole('log', { name: 'Conversation' })
        .locator('[data-entry-id]')
        .last()
        .getAttribute('data-role'),
    ).toBe('run');
    await shoot('chat-workflow-done');
    await link.click();
    await page.waitForURL(`${base}/runs/${runId}`);
    await page.locator('[data-step-id="summarize"]').waitFor();
  }, 180_000);

  it('completes a slash command from the list, and a command with bad arguments shows its usage line', async () => {
    await newChat(page, base);
    const box = page.getByRole('combobox', { name: 'Your message' });
    await box.fill('/ap');
    const options = page.getByRole('listbox', { name: 'Commands' }).getByRole('option');
    await options.first().waitFor();
    expect(await options.first().textContent()).toContain('/approve <runId> <stepId> [comment]');
    await shoot('chat-slash');
    await box.press('Enter');
    expect(await box.inputValue()).toBe('/approve ');
    await box.pressSequentially('only-a-run-id');
    await box.press('Enter');
    const reply = page.locator('[data-role="command"]');
    await reply.waitFor();
    expect(await reply.textContent()).toContain('usage: /approve <runId> <stepId> [comment]');
  }, 60_000);

  it('attaches a CSV an agent reads, and names the limit a refused file breaks', async () => {
    await newChat(page, base);
    const input = page.getByLabel('Attach files');
    await input.setInputFiles({
      name: 'tool.exe',
      mimeType: 'application/octet-stream',
      buffer: Buffer.from('MZ'),
    });
    const problem = page.getByRole('alert').filter({ hasText: 'The file was not attached' });
    await problem.waitFor();
    expect(await problem.textContent()).toContain('files of type .exe cannot be attached');
    await input.setInputFiles({
      name: 'sales.csv',
      mimeType: 'text/csv',
      buffer: Buffer.from('region,amount\nnorth,10\nsouth,32\n'),
    });
    await page.getByRole('list', { name: 'Files to send' }).getByText('sales.csv').waitFor();
    await page.getByLabel('Agent', { exact: true }).selectOption('architecture-advisor');
    await say(page, 'Which region sold most?');
    const bubble = answer();
    await until('the reply', async () => (await bubble.getAttribute('data-status')) === 'done');
    expect(await bubble.textContent()).toContain('south,32');
    expect(await page.getByRole('list', { name: 'Attached files' }).textContent()).toContain('sales.csv');
  }, 60_000);

  it('stops the turn in flight', async () => {
    await newChat(page, base);
    await say(page, 'please stream slowly');
    const bubble = answer();
    await until('the reply to stream', async () =>
      ((await bubble.getByTestId('answer-text').textContent()) ?? '').includes('word3'),
    );
    await page.getByRole('button', { name: '■ Stop' }).click();
    await until(
      'the reply to be cancelled',
      async () => (await bubble.getAttribute('data-status')) === 'cancelled',
    );
    await page.getByRole('button', { name: '■ Stop' }).waitFor({ state: 'detached' });
  }, 60_000);

  it('resumes a reply streaming when the page is reloaded, and shows it once', async () => {
    const sessionId = await newChat(page, base);
    await page.getByLabel('Agent', { exact: true }).selectOption('architecture-advisor');
    await say(page, 'please stream slowly, again');
    const bubble = answer();
    await until('the reply to stream', async () =>
      ((await bubble.getByTestId('answer-text').textContent()) ?? '').includes('word10'),
    );
    const id = await bubble.getAttribute('data-entry-id');
    await page.reload();
    const again = answer(id ?? '');
    // After the reload the bubble shows the text from its start while the model is still writing it.
    await until('the text so far after the reload', async () => {
      const text =
        (await again
          .getByTestId('answer-text')
          .textContent()
          .catch(() => '')) ?? '';
      return (
        (await again.getAttribute('data-status').catch(() => '')) === 'running' &&
        text.startsWith('[simulated]') &&
        text.includes('word10')
      );
    });
    expect(await page.locator(`[data-testid="chat-session"][data-session-id="${sessionId}"]`).count()).toBe(
      1,
    );
    await until('the reply to be done', async () => (await again.getAttribute('data-status')) === 'done');
    expect(await again.getByTestId('answer-text').textContent()).toContain('word119');
    expect(await page.locator('[data-turn]').last().locator('[data-role="assistant"]').count()).toBe(1);
  }, 120_000);
});
