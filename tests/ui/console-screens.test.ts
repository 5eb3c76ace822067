import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeModelServer, type FakeModelServer } from '../../src/fake-models/server';
import { isClosed, postJson, readExample, waitForRun, waitUntil } from '../helpers/harness';
import { shippedCatalogueOn, shippedModels } from '../models/helpers';
import { expectAccessible, openPage, screenshot } from './pages-browser';
import { launchChromium, startUiStack, type UiStack } from './ui-stack';

/**
 * Every page of the console with data in it, at desktop (1280 px) and tablet (820 px) width, saved
 * to tests/ui/screenshots/ to be looked at; each page must also fit its width and pass axe.
 */
let stack: UiStack;
let fake: FakeModelServer;
let browser: Browser;
let base: string;
const ids: Record<string, string> = {};

const widths = { desktop: 1280, tablet: 820 } as const;

async function startRun(spec: unknown, input: Record<string, unknown> = {}): Promise<string> {
  const started = await postJson(`${base}/api/runs`, { spec, input });
  expect(started.status, JSON.stringify(started.body)).toBe(201);
  return started.body.runId as string;
}

beforeAll(async () => {
  fake = await startFakeModelServer();
  fake.setScript({
    models: shippedModels,
    replies: [{ match: { prompt: 'summarise' }, reply: 'A short summary.' }],
  });
  [stack, browser] = await Promise.all([
    startUiStack('ui console screens', shippedCatalogueOn(fake).runtime, { agents: true }),
    launchChromium(),
  ]);
  base = stack.ui.baseUrl;
  ids.parallel = await startRun(await readExample('parallel.yaml'), { pause: 0 });
  ids.saga = await startRun(await readExample('saga.yaml'));
  ids.model = await startRun({
    name: 'summary',
    steps: [
      { id: 'summarise', kind: 'model', with: { prompt: 'summarise the release', policy: 'local-first' } },
    ],
  });
  ids.approval = await startRun(await readExample('approval.yaml'));
  for (const id of [ids.parallel, ids.saga, ids.model])
    await waitForRun(stack.ui, id ?? '', isClosed, 90_000);
  expect((await postJson(`${base}/api/specs`, { spec: await readExample('parallel.yaml') })).status).toBe(
    201,
  );
  const schedule = { id: 'nightly-parallel', specName: 'parallel', cron: ['0 2 * * *'], paused: false };
  expect((await postJson(`${base}/api/schedules`, schedule)).status).toBe(201);
}, 300_000);

afterAll(async () => {
  await browser?.close();
  await stack?.stop();
  await fake?.close();
});

/** What each page waits for before its picture: the thing that says its data is in. */
const pages: { name: string; path: () => string; ready: (page: Page) => Promise<unknown> }[] = [
  {
    name: 'runs',
    path: () => '/runs',
    ready: (page) => page.locator(`[data-run-id="${ids.saga}"]`).waitFor(),
  },
  {
    name: 'run-parallel',
    path: () => `/runs/${ids.parallel}?step=join`,
    ready: (page) => page.locator('[data-step-id="join"][data-step-status="completed"]').waitFor(),
  },
  {
    name: 'run-saga',
    path: () => `/runs/${ids.saga}`,
    ready: (page) => page.locator('[data-compensation-order="2"]').waitFor(),
  },
  {
    name: 'run-approval',
    path: () => `/runs/${ids.approval}`,
    ready: (page) => page.locator('[data-step-status="waiting"]').first().waitFor(),
  },
  {
    name: 'approvals',
    path: () => '/approvals',
    ready: (page) => page.locator(`li[data-run-id="${ids.approval}"]`).waitFor(),
  },
  {
    name: 'start',
    path: () => '/start?spec=parallel',
    ready: (page) => page.locator('[data-testid="spec-preview"][data-step-count="7"]').waitFor(),
  },
  {
    name: 'specs',
    path: () => '/specs',
    ready: (page) => page.locator('[data-spec-name="parallel"]').waitFor(),
  },
  {
    name: 'spec-detail',
    path: () => '/specs/parallel',
    ready: (page) => page.getByTestId('spec-valid').waitFor(),
  },
  {
    name: 'schedules',
    path: () => '/schedules',
    ready: (page) => page.locator('[data-schedule-id="nightly-parallel"]').waitFor(),
  },
  {
    name: 'agents',
    path: () => '/agents',
    ready: (page) => page.locator('[data-agent-id]').first().waitFor(),
  },
  {
    name: 'models',
    path: () => '/models',
    ready: (page) => page.locator('[data-model-id]').first().waitFor(),
  },
  {
    name: 'dashboards',
    path: () => '/dashboards',
    ready: (page) => page.locator('[data-chart="runs-per-day"] .recharts-bar-rectangle').first().waitFor(),
  },
];

describe('every page of the console, at desktop and tablet width', () => {
  for (const [width, px] of Object.entries(widths)) {
    for (const theme of ['light', 'dark'] as const) {
      it(`draws each page at ${px} px in the ${theme} theme without spilling past the window`, async () => {
        const page = await openPage(browser, base, { width: px, height: 1000, colorScheme: theme });
        const spilled: string[] = [];
        for (const entry of pages) {
          await page.goto(entry.path());
          await entry.ready(page);
          await page.waitForLoadState('networkidle');
          await waitUntil(async () => (await page.getByText('Loading…').count()) === 0, { what: 'loaded' });
          const overflow = await page.evaluate(
            () => document.documentElement.scrollWidth - window.innerWidth,
          );
          if (overflow > 0) spilled.push(`${entry.name} is ${overflow}px wider than the window`);
          if (theme === 'light' || width === 'desktop')
            await screenshot(page, `${entry.name}-${width}-${theme}`);
          if (theme === 'dark') await expectAccessible(page);
        }
        expect(spilled).toEqual([]);
        await page.context().close();
      }, 900_000);
    }
  }
});
