import type { ChildProcess } from 'node:child_process';
import { constants } from 'node:os';

/**
 * A child spawned with `detached: true` leads its own process group: signalling the group reaches
 * everything the command started, not just the shell.
 */
export function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  try {
    if (child.pid) process.kill(-child.pid, signal);
  } catch {
    // The group is gone already.
  }
}

/** Asks the group to stop, then kills whatever is left after `graceMs`. */
export function stopGroup(child: ChildProcess, graceMs: number): void {
  killGroup(child, 'SIGTERM');
  setTimeout(() => killGroup(child, 'SIGKILL'), graceMs).unref();
}

/** The shell's convention: the exit code, or 128 plus the number of the signal that ended it. */
export function exitCodeOf(code: number | null, signal: NodeJS.Signals | null): number {
  return code ?? 128 + (signal ? constants.signals[signal] : 0);
}
