import { mkdir, mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { z } from 'zod';
import { capText, defineTool, ToolError } from './tool-kit';
import { checkUrl } from './http-tools';

const chromiumFlags = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

/**
 * Opens a page in the system Chromium (never a downloaded browser) with a fresh profile, and reports
 * its title, text, console errors and, if asked, a screenshot saved outside the workspace.
 * Requests to hosts off the allowlist are aborted, so a page cannot pull the agent elsewhere.
 */
export const browseTool = defineTool({
  name: 'browse',
  description:
    'Open a URL on an allowlisted host in headless Chromium; returns the title, visible text, console errors and optionally a screenshot path.',
  args: z.strictObject({
    url: z.string().min(1),
    screenshot: z.boolean().default(false),
    waitMs: z.int().min(0).max(10_000).default(0),
  }),
  mutates: false,
  async run({ url, screenshot, waitMs }, { settings, signal, artifactsDir }) {
    const target = checkUrl(url, settings.httpAllowHosts);
    if (!(await stat(settings.chromiumPath).catch(() => undefined))) {
      throw new ToolError(
        'no-browser',
        `browse: no Chromium at ${settings.chromiumPath}; install it (apt-get install chromium)`,
      );
    }
    const profile = await mkdtemp(join(tmpdir(), 'troupe-chromium-'));
    const context = await chromium.launchPersistentContext(profile, {
      executablePath: settings.chromiumPath,
      headless: true,
      args: chromiumFlags,
      timeout: settings.commandTimeoutMs,
    });
    const close = () => void context.close();
    signal.addEventListener('abort', close, { once: true });
    try {
      await context.route('**/*', (route) => {
        const scheme = route.request().url().split(':')[0];
        if (scheme === 'data' || scheme === 'blob') return route.continue();
        try {
          checkUrl(route.request().url(), settings.httpAllowHosts);
          return route.continue();
        } catch {
          return route.abort('blockedbyclient');
        }
      });
      const page = context.pages()[0] ?? (await context.newPage());
      const consoleErrors: string[] = [];
      page.on('console', (message) => {
        if (message.type() === 'error') consoleErrors.push(message.text());
      });
      page.on('pageerror', (error) => consoleErrors.push(error.message));
      const response = await page.goto(target.toString(), {
        timeout: settings.commandTimeoutMs,
        waitUntil: 'load',
      });
      if (waitMs) await page.waitForTimeout(waitMs);
      const { text, truncated } = capText(
        await page.innerText('body').catch(() => ''),
        settings.maxOutputBytes,
      );
      let screenshotPath: string | undefined;
      if (screenshot) {
        await mkdir(artifactsDir, { recursive: true });
        screenshotPath = join(artifactsDir, `screenshot-${Date.now()}.png`);
        await page.screenshot({ path: screenshotPath, fullPage: true });
      }
      return {
        url: page.url(),
        status: response?.status() ?? 0,
        title: await page.title(),
        text,
        consoleErrors: consoleErrors.slice(0, 50),
        ...(screenshotPath && { screenshot: screenshotPath }),
        ...(truncated && { truncated }),
      };
    } finally {
      signal.removeEventListener('abort', close);
      await context.close().catch(() => undefined);
      await rm(profile, { recursive: true, force: true });
    }
  },
});

export const browserTools = [browseTool];
