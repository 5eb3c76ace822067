import { mkdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import AxeBuilder from '@axe-core/playwright';
import type { Browser, Page } from 'playwright-core';
import { expect } from 'vitest';

export const screenshotsDir = fileURLToPath(new URL('./screenshots/', import.meta.url));

export { ensureUiBuilt, launchChromium } from './ui-stack';

/**
 * A page in a fresh context with a fixed locale and time zone, so screenshots compare across runs;
 * 1280 × 900 in the light theme unless asked otherwise. Close it with `page.context().close()`.
 */
export async function openPage(
  browser: Browser,
  baseURL?: string,
  { width = 1280, height = 900, colorScheme = 'light' }: PageOptions = {},
): Promise<Page> {
  const context = await browser.newContext({
    ...(baseURL && { baseURL }),
    viewport: { width, height },
    locale: 'en-US',
    timezoneId: 'UTC',
    colorScheme,
  });
  return context.newPage();
}

export type PageOptions = { width?: number; height?: number; colorScheme?: 'light' | 'dark' };

/** axe on the page as it is: no serious or critical violation, each named (with `what`) if one shows up. */
export async function expectAccessible(page: Page, what = 'page'): Promise<void> {
  const results = await new AxeBuilder({ page }).analyze();
  const bad = results.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  expect(
    bad.map(
      (v) =>
        `${what}: ${v.id} (${v.impact}): ${v.help} at ${v.nodes.map((node) => node.target.join(' ')).join(', ')}`,
    ),
  ).toEqual([]);
}

export async function screenshot(page: Page, name: string): Promise<void> {
  await mkdir(screenshotsDir, { recursive: true });
  await page.screenshot({ path: `${screenshotsDir}${name}.png`, fullPage: true });
}
