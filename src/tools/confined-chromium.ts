import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';
import { noResolverFlag } from './browser-transport';
import { chromiumFlags } from './chromium-flags';
import { confinedArgv, SandboxUnavailable } from './sandbox';
import { sandboxPath } from './sandbox-mounts';
import { ToolError } from './tool-kit';

/** What Chromium reads besides the system folders: Debian's launcher config, policies and fonts. */
const chromiumConfig = ['/etc/chromium', '/etc/chromium.d', '/etc/fonts'];

export type ConfinedChromium = {
  context: BrowserContext;
  /** True when TROUPE_SANDBOX=off launched Chromium without the sandbox. */
  unconfined: boolean;
  /** Removes the profile and the launcher; call after closing the context. */
  cleanup: () => Promise<void>;
};

const quote = (arg: string) => `'${arg.replaceAll("'", "'\\''")}'`;

/**
 * Launches Chromium inside the command sandbox: bubblewrap with new user, PID and IPC namespaces, the
 * system read-only, a private /tmp and /proc, the same limits as every command, and a fresh profile as
 * the only writable folder; it never sees the workspaces, the data folder or the worker's environment.
 * The network stays on, but Chromium resolves no name itself: the caller makes its requests. Playwright talks to
 * it over the pipes it inherits, so no debugging port is opened. Playwright runs a launcher script,
 * which execs the sandboxed argv with Playwright's own arguments appended.
 */
export async function launchConfinedChromium({
  chromiumPath,
  timeoutMs,
}: {
  chromiumPath: string;
  timeoutMs: number;
}): Promise<ConfinedChromium> {
  const dir = await mkdtemp(join(tmpdir(), 'troupe-browse-'));
  const cleanup = () => rm(dir, { recursive: true, force: true });
  try {
    // The sandbox user (a root worker's TROUPE_SANDBOX_UID) must pass through to its profile, not list it.
    await chmod(dir, 0o711);
    const profile = join(dir, 'profile');
    await mkdir(profile, { mode: 0o700 });
    const env = { PATH: sandboxPath, HOME: profile, LANG: 'C.UTF-8', TMPDIR: '/tmp' };
    const { argv, unconfined } = await confinedArgv({
      argv: [chromiumPath],
      workspace: profile,
      env,
      network: true,
      readonly: chromiumConfig,
      timeoutMs,
      maxOutputBytes: 0,
    }).catch((err: unknown) => {
      if (err instanceof SandboxUnavailable)
        throw new ToolError('sandbox-unavailable', `browse: ${err.message}`);
      throw err;
    });
    const launcher = join(dir, 'chromium.sh');
    await writeFile(launcher, `#!/bin/sh\nexec ${argv.map(quote).join(' ')} "$@"\n`, { mode: 0o700 });
    await chmod(launcher, 0o700);
    const context = await chromium.launchPersistentContext(profile, {
      executablePath: launcher,
      headless: true,
      args: [...chromiumFlags, noResolverFlag],
      env,
      timeout: timeoutMs,
      // A service worker's requests would bypass the caller's routing.
      serviceWorkers: 'block',
    });
    return { context, unconfined, cleanup };
  } catch (err) {
    await cleanup();
    throw err;
  }
}
