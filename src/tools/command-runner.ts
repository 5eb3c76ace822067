import { execFile, spawn } from 'node:child_process';
import { basename } from 'node:path';
import { promisify } from 'node:util';
import { exitCodeOf, killGroup, stopGroup } from './process-group';
import type { ToolContext } from './tool-kit';

export type ProgramResult = {
  exitCode: number;
  stdout: string;
  stderr: string;
  timedOut?: true;
  truncated?: true;
  /** How the network was cut off for this command. */
  network: NetworkIsolation;
};

export const NetworkIsolation = {
  /** A fresh network namespace (`unshare -n`): only a down loopback, so nothing is reachable. */
  Namespace: 'namespace',
  /** Proxy variables point at a closed port; a program that ignores them still has the network. */
  ProxyEnvOnly: 'proxy-env-only',
  Allowed: 'allowed',
} as const;
export type NetworkIsolation = (typeof NetworkIsolation)[keyof typeof NetworkIsolation];

let namespacePrefix: Promise<string[] | undefined> | undefined;

/** Which `unshare` flags give a process no network here, if any (root: -n; rootless: -rn). */
function detectNamespace(): Promise<string[] | undefined> {
  namespacePrefix ??= (async () => {
    for (const flags of [['-n'], ['-rn']]) {
      const ok = await promisify(execFile)('unshare', [...flags, 'true'], { timeout: 5_000 }).then(
        () => true,
        () => false,
      );
      if (ok) return ['unshare', ...flags, '--'];
    }
    return undefined;
  })();
  return namespacePrefix;
}

/** The whole environment a command sees: nothing of the worker's (no API keys), and no proxy that works. */
export function scrubbedEnv(root: string): Record<string, string> {
  const deadProxy = 'http://127.0.0.1:9';
  return {
    PATH: process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin',
    HOME: root,
    LANG: 'C.UTF-8',
    CI: '1',
    NO_COLOR: '1',
    http_proxy: deadProxy,
    https_proxy: deadProxy,
    HTTP_PROXY: deadProxy,
    HTTPS_PROXY: deadProxy,
    ALL_PROXY: deadProxy,
    npm_config_offline: 'true',
    PIP_NO_INDEX: '1',
  };
}

/**
 * Runs a program (argv, never a shell) in the workspace with a timeout, capped output, a scrubbed
 * environment and, unless `network` is true, no network. The whole process group is killed on
 * timeout or cancellation, so a hanging test runner leaves nothing behind.
 */
export async function runProgram(
  argv: readonly string[],
  context: ToolContext,
  options: { cwd?: string; timeoutMs?: number; network?: boolean; env?: Record<string, string> } = {},
): Promise<ProgramResult> {
  const prefix = options.network ? undefined : await detectNamespace();
  const network = options.network
    ? NetworkIsolation.Allowed
    : prefix
      ? NetworkIsolation.Namespace
      : NetworkIsolation.ProxyEnvOnly;
  const full = [...(prefix ?? []), ...argv];
  const timeoutMs = options.timeoutMs ?? context.settings.commandTimeoutMs;
  const cap = context.settings.maxOutputBytes;
  return new Promise((resolve, reject) => {
    const child = spawn(full[0] ?? 'true', full.slice(1), {
      cwd: options.cwd ?? context.root,
      env: { ...scrubbedEnv(context.root), ...options.env },
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const out = { stdout: [] as Buffer[], stderr: [] as Buffer[], bytes: 0, truncated: false };
    const collect = (into: Buffer[]) => (chunk: Buffer) => {
      const room = cap - out.bytes;
      if (room <= 0) {
        out.truncated = true;
        return;
      }
      const kept = chunk.length > room ? chunk.subarray(0, room) : chunk;
      if (kept.length < chunk.length) out.truncated = true;
      into.push(kept);
      out.bytes += kept.length;
    };
    child.stdout.on('data', collect(out.stdout));
    child.stderr.on('data', collect(out.stderr));
    let timedOut = false;
    const stop = () => stopGroup(child, 1_000);
    const timer = setTimeout(() => {
      timedOut = true;
      stop();
    }, timeoutMs);
    context.signal.addEventListener('abort', stop, { once: true });
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      context.signal.removeEventListener('abort', stop);
      killGroup(child, 'SIGKILL');
      if (context.signal.aborted) return reject(context.signal.reason as Error);
      const note = timedOut ? `\n[${basename(argv[0] ?? '')} killed after ${timeoutMs} ms]` : '';
      resolve({
        exitCode: exitCodeOf(code, signal),
        stdout: Buffer.concat(out.stdout).toString('utf8'),
        stderr: Buffer.concat(out.stderr).toString('utf8') + note,
        ...(timedOut && { timedOut: true as const }),
        ...(out.truncated && { truncated: true as const }),
        network,
      });
    });
  });
}
