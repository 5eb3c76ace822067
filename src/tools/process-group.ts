import type { ChildProcess } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';
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

/**
 * Kills what an earlier attempt of the same command left running: any process whose environment
 * carries the same TROUPE_IDEMPOTENCY_KEY with another TROUPE_STEP_ATTEMPT. The sandbox's
 * --die-with-parent makes this a no-op; with TROUPE_SANDBOX=off a grandchild can outlive a killed
 * worker, and this is what stops two attempts of a step running at once.
 */
export async function killEarlierAttempts(key: string, attempt: number): Promise<number> {
  const keyEntry = `TROUPE_IDEMPOTENCY_KEY=${key}`;
  const attemptEntry = `TROUPE_STEP_ATTEMPT=${attempt}`;
  let killed = 0;
  const pids = await readdir('/proc').catch(() => [] as string[]);
  for (const pid of pids) {
    if (!/^\d+$/.test(pid) || Number(pid) === process.pid) continue;
    const environ = await readFile(`/proc/${pid}/environ`, 'utf8').catch(() => '');
    const entries = environ.split('\0');
    if (!entries.includes(keyEntry) || entries.includes(attemptEntry)) continue;
    try {
      process.kill(Number(pid), 'SIGKILL');
      killed++;
    } catch {
      // It ended on its own meanwhile.
    }
  }
  return killed;
}
