import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { runConfined, SandboxUnavailable, type ConfinedResult } from './sandbox';
import { sandboxPath } from './sandbox-mounts';
import { sandboxSettings } from './sandbox-settings';
import { ToolError, type ToolContext } from './tool-kit';

export type ProgramResult = Omit<ConfinedResult, 'unconfined'> & {
  /** How the network was cut off for this command. */
  network: NetworkIsolation;
  /** Set when TROUPE_SANDBOX=off ran the command without the sandbox. */
  unconfined?: true;
};

export const NetworkIsolation = {
  /** A fresh network namespace (the sandbox's, or `unshare -n`): only loopback, nothing reachable. */
  Namespace: 'namespace',
  /** Proxy variables point at a closed port; a program that ignores them still has the network. */
  ProxyEnvOnly: 'proxy-env-only',
  Allowed: 'allowed',
} as const;
export type NetworkIsolation = (typeof NetworkIsolation)[keyof typeof NetworkIsolation];

let namespacePrefix: Promise<string[] | undefined> | undefined;

/** With the sandbox off: which `unshare` flags give a process no network here, if any (root: -n; rootless: -rn). */
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
    PATH: sandboxPath,
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
 * Runs a program (argv, never a shell) in the workspace's sandbox with a timeout, capped output, a
 * scrubbed environment and, unless `network` is true, no network. Everything it starts dies on
 * timeout, cancellation or the worker's death.
 */
export async function runProgram(
  argv: readonly string[],
  context: ToolContext,
  options: { cwd?: string; timeoutMs?: number; network?: boolean; env?: Record<string, string> } = {},
): Promise<ProgramResult> {
  const off = sandboxSettings().TROUPE_SANDBOX === 'off';
  const allowed = options.network ?? context.settings.commandNetwork;
  const prefix = allowed || !off ? undefined : await detectNamespace();
  const isolation = allowed
    ? NetworkIsolation.Allowed
    : !off || prefix
      ? NetworkIsolation.Namespace
      : NetworkIsolation.ProxyEnvOnly;
  const result = await runConfined({
    argv: [...(prefix ?? []), ...argv],
    workspace: context.root,
    cwd: options.cwd ?? context.root,
    env: { ...scrubbedEnv(context.root), ...context.env, ...options.env },
    network: allowed,
    signal: context.signal,
    timeoutMs: options.timeoutMs ?? context.settings.commandTimeoutMs,
    maxOutputBytes: context.settings.maxOutputBytes,
  }).catch((err: unknown) => {
    if (err instanceof SandboxUnavailable) throw new ToolError('sandbox-unavailable', err.message);
    throw err;
  });
  return { ...result, network: isolation };
}
