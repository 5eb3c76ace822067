import type { ShellToolInput } from '../engine/spec';
import { asText } from '../engine/template';
import { runConfined, type ConfinedResult } from '../tools/sandbox';

export type ShellResult = ConfinedResult;

export type ShellOptions = {
  /** The run's workspace, where the script starts and the one folder it may write. */
  cwd: string;
  /** Variables every command gets besides its own; nothing from the worker's environment leaks in. */
  baseEnv: Record<string, string>;
  /** Host files the script may write besides the workspace, bound at a path of the sandbox. */
  files?: { host: string; at: string }[];
  signal: AbortSignal;
  timeoutMs: number;
  maxOutputBytes: number;
  onProgress: (progress: { elapsedMs: number; outputBytes: number }) => void;
};

/** Linux refuses an environment string (`NAME=value`) longer than this with E2BIG (MAX_ARG_STRLEN). */
export const ENV_VALUE_MAX_BYTES = 128 * 1024 - 1;
/** And all of them together past this (a quarter of the usual 8 MiB stack), so stay well under it. */
export const ENV_TOTAL_MAX_BYTES = 1024 * 1024;

/**
 * What is wrong with a step's `env` that spawning would only report as `spawn E2BIG`: a variable too
 * large for an environment, or all of them together. Undefined when they fit.
 */
export function envTooLarge(env: ShellToolInput['env']): string | undefined {
  const sizes = Object.entries(env ?? {}).map(
    ([name, value]) => [name, Buffer.byteLength(`${name}=${asText(value)}`)] as const,
  );
  const single = sizes.find(([, bytes]) => bytes > ENV_VALUE_MAX_BYTES);
  const hint =
    'pass a large value on stdin (`with.stdin`) and read it there, or write it to a file in an earlier step';
  if (single)
    return `with.env.${single[0]} is ${single[1]} bytes, more than an environment variable holds (${ENV_VALUE_MAX_BYTES + 1} bytes): ${hint}`;
  const total = sizes.reduce((sum, [, bytes]) => sum + bytes, 0);
  if (total > ENV_TOTAL_MAX_BYTES)
    return `with.env is ${total} bytes in all, more than a command's environment holds (${ENV_TOTAL_MAX_BYTES} bytes): ${hint}`;
  return undefined;
}

/**
 * Runs a step's script with /bin/sh in the run's sandbox. Values reach the script only through
 * environment variables and stdin, never by splicing them into the script text.
 */
export async function runShell(input: ShellToolInput, options: ShellOptions): Promise<ShellResult> {
  const env = {
    ...options.baseEnv,
    ...Object.fromEntries(Object.entries(input.env ?? {}).map(([k, v]) => [k, asText(v)])),
  };
  return runConfined({
    argv: ['/bin/sh', '-c', input.run],
    workspace: options.cwd,
    env,
    network: input.network ?? false,
    ...(input.stdin !== undefined && { stdin: asText(input.stdin) }),
    ...(options.files && { files: options.files }),
    signal: options.signal,
    timeoutMs: options.timeoutMs,
    maxOutputBytes: options.maxOutputBytes,
    onProgress: options.onProgress,
  });
}
