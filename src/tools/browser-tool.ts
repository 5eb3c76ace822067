import { mkdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { launchConfinedChromium } from './confined-chromium';
import { capText, defineTool, ToolError } from './tool-kit';
import { allowVerdict, checkAddress } from './http-address';
import { checkUrl } from './http-tools';
import { routeThroughWorker } from './browser-transport';

/** The most one resource of a page may weigh (a script, an image, the document itself). */
const pageResourceBytes = 20 * 1024 * 1024;

/**
 * Opens a page in the system Chromium (never a downloaded browser), inside the command sandbox with a
 * fresh profile, and reports its title, text, console errors and, if asked, a screenshot saved outside
 * the workspace. Requests to hosts off the allowlist are aborted, so a page cannot pull the agent elsewhere.
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
    await checkAddress(target, allowVerdict(target, settings.httpAllowHosts));
    if (!(await stat(settings.chromiumPath).catch(() => undefined))) {
      throw new ToolError(
        'no-browser',
        `browse: no Chromium at ${settings.chromiumPath}; install it (apt-get install chromium)`,
      );
    }
    const { context, unconfined, cleanup } = await launchConfinedChromium({
      chromiumPath: settings.chromiumPath,
      timeoutMs: settings.commandTimeoutMs,
    });
    const close = () => void context.close();
    signal.addEventListener('abort', close, { once: true });
    try {
      // Every request and WebSocket of the page is made by the worker, under http_fetch's rules.
      await routeThroughWorker(context, {
        allow: settings.httpAllowHosts,
        maxBytes: pageResourceBytes,
        signal,
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
        ...(unconfined && { unconfined }),
      };
    } finally {
      signal.removeEventListener('abort', close);
      await context.close().catch(() => undefined);
      await cleanup();
    }
  },
});

export const browserTools = [browseTool];
