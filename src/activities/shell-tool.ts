import { spawn } from 'node:child_process';
import type { ShellToolInput } from '../engine/spec';
import { asText } from '../engine/template';
import { exitCodeOf, killGroup, stopGroup } from '../tools/process-group';

export type ShellResult = { stdout: string; stderr: string; exitCode: number; truncated?: true };

export type ShellOptions = {
  cwd: string;
  /** Variables every command gets besides its own; nothing from the worker's environment leaks in. */
  baseEnv: Record<string, string>;
  signal: AbortSignal;
  maxOutputBytes: number;
  onProgress: (progress: { elapsedMs: number; outputBytes: number }) => void;
};

/**
 * Runs a step's script with /bin/sh in the run's workspace. Values reach the script only through
 * environment variables and stdin, never by splicing them into the script text.
 */
export function runShell(input: ShellToolInput, options: ShellOptions): Promise<ShellResult> {
  const env = {
    ...options.baseEnv,
    ...Object.fromEntries(Object.entries(input.env ?? {}).map(([k, v]) => [k, asText(v)])),
  };
  return new Promise((resolve, reject) => {
    const child = spawn('/bin/sh', ['-c', input.run], {
      cwd: options.cwd,
      env,
      detached: true,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const started = Date.now();
    const stdout = new CappedBuffer(options.maxOutputBytes);
    const stderr = new CappedBuffer(options.maxOutputBytes);
    child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
    child.stdin.on('error', () => undefined);
    child.stdin.end(input.stdin === undefined ? '' : asText(input.stdin));

    const ticker = setInterval(
      () => options.onProgress({ elapsedMs: Date.now() - started, outputBytes: stdout.bytes + stderr.bytes }),
      1000,
    );
    const onAbort = () => stopGroup(child, 2000);
    options.signal.addEventListener('abort', onAbort, { once: true });

    child.on('error', (err) => {
      clearInterval(ticker);
      reject(err);
    });
    child.on('close', (code, signal) => {
      clearInterval(ticker);
      options.signal.removeEventListener('abort', onAbort);
      killGroup(child, 'SIGKILL');
      resolve({
        stdout: stdout.text(),
        stderr: stderr.text(),
        exitCode: exitCodeOf(code, signal),
        ...((stdout.truncated || stderr.truncated) && { truncated: true as const }),
      });
    });
  });
}

class CappedBuffer {
  private readonly chunks: Buffer[] = [];
  bytes = 0;
  truncated = false;

  constructor(private readonly limit: number) {}

  push(chunk: Buffer): void {
    const room = this.limit - this.bytes;
    if (room <= 0) {
      this.truncated = true;
      return;
    }
    const kept = chunk.length > room ? chunk.subarray(0, room) : chunk;
    if (kept.length < chunk.length) this.truncated = true;
    this.chunks.push(kept);
    this.bytes += kept.length;
  }

  text(): string {
    return Buffer.concat(this.chunks).toString('utf8');
  }
}
