import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { chmod, lchown, lstat, readdir, stat } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { CappedBuffer } from './capped-buffer';
import { exitCodeOf, killEarlierAttempts, killGroup, stopGroup } from './process-group';
import { inside, mountArgs, sandboxUser } from './sandbox-mounts';
import { sandboxSettings, type SandboxSettings } from './sandbox-settings';

/** One command to run confined: what, where, with what, and for how long. */
export type ConfinedCommand = {
  argv: readonly string[];
  /** The run's workspace: the one folder the command may write, seen at its own path. */
  workspace: string;
  /** Where the command starts; the workspace by default. */
  cwd?: string;
  /** The command's whole environment; nothing of the worker's is added. */
  env: Record<string, string>;
  network?: boolean;
  stdin?: string;
  /** Host files the command may write besides the workspace, bound at a path of the sandbox. */
  files?: { host: string; at: string }[];
  /** More host paths the command may read, at their own paths, when they exist (a program's config). */
  readonly?: string[];
  signal?: AbortSignal;
  timeoutMs: number;
  maxOutputBytes: number;
  onProgress?: (progress: { elapsedMs: number; outputBytes: number }) => void;
};

export type ConfinedResult = {
  exitCode: number;
  stdout: string;
  stderr: string;
  timedOut?: true;
  truncated?: true;
  /** Set when TROUPE_SANDBOX=off ran the command without the sandbox. */
  unconfined?: true;
};

/** The sandbox cannot start here; the message says why and what to do. */
export class SandboxUnavailable extends Error {
  override name = 'SandboxUnavailable';
}

const execFileAsync = promisify(execFile);
let probed: Promise<string | undefined> | undefined;

/**
 * Whether bubblewrap runs here with every namespace the sandbox uses: undefined when it does,
 * otherwise why not. Tried once per process, with the same arguments a real command gets.
 */
export function probeSandbox(settings: SandboxSettings = sandboxSettings()): Promise<string | undefined> {
  probed ??= (async () => {
    const argv = sandboxArgv(
      { argv: ['true'], workspace: '/tmp', env: {}, timeoutMs: 10_000, maxOutputBytes: 1_000 },
      settings,
    );
    const [program = 'bwrap', ...args] = argv;
    return execFileAsync(program, args, { timeout: 10_000, env: { PATH: '/usr/bin:/bin' } }).then(
      () => undefined,
      (err: NodeJS.ErrnoException & { stderr?: string }) =>
        err.code === 'ENOENT'
          ? `${program} is not installed`
          : (err.stderr?.trim() || err.message).split('\n')[0],
    );
  })();
  return probed;
}

/** Why commands are refused, in words for a step record or a model. */
export async function sandboxRefusal(settings = sandboxSettings()): Promise<string | undefined> {
  if (settings.TROUPE_SANDBOX === 'off') return undefined;
  const why = await probeSandbox(settings);
  return (
    why &&
    `the command sandbox (bubblewrap) cannot start here: ${why}. Install bubblewrap (npm run setup does on Debian) ` +
      'and allow unprivileged user namespaces, or set TROUPE_SANDBOX=off to run commands unconfined'
  );
}

/** What `npm start` warns about: commands running unconfined, or refused because the sandbox cannot start. */
export async function sandboxStartNote(settings = sandboxSettings()): Promise<string | undefined> {
  if (settings.TROUPE_SANDBOX === 'off') {
    return "sandbox: WARNING: TROUPE_SANDBOX=off, so every command (shell steps, agent commands, deploys, git) runs unconfined, as the worker's own user; each record says so";
  }
  const refusal = await sandboxRefusal(settings);
  return refusal && `sandbox: WARNING: commands will be refused: ${refusal}`;
}

const workerIsRoot = () => process.getuid?.() === 0;

/**
 * The full argv: `setpriv` to an unprivileged uid when the worker is root (so RLIMIT_NPROC holds),
 * then bwrap with new user, PID, IPC, UTS and (unless allowed) network namespaces, then prlimit.
 */
function sandboxArgv(command: ConfinedCommand, settings: SandboxSettings): string[] {
  const uid = String(settings.TROUPE_SANDBOX_UID);
  const drop = workerIsRoot()
    ? ['setpriv', `--reuid=${uid}`, `--regid=${uid}`, '--clear-groups', '--no-new-privs', '--']
    : [];
  const mb = 1024 * 1024;
  const limits = [
    'prlimit',
    `--cpu=${settings.TROUPE_SANDBOX_CPU_SECONDS}:${settings.TROUPE_SANDBOX_CPU_SECONDS + 5}`,
    `--data=${settings.TROUPE_SANDBOX_MEMORY_MB * mb}`,
    `--nproc=${settings.TROUPE_SANDBOX_PROCESSES}`,
    `--fsize=${settings.TROUPE_SANDBOX_FILE_MB * mb}`,
    '--core=0',
    '--',
  ];
  const network = command.network ?? false;
  return [
    ...drop,
    'bwrap',
    '--unshare-user',
    '--unshare-pid',
    '--unshare-ipc',
    '--unshare-uts',
    '--unshare-cgroup-try',
    ...(network ? [] : ['--unshare-net']),
    '--uid',
    String(sandboxUser.uid),
    '--gid',
    String(sandboxUser.gid),
    '--hostname',
    'sandbox',
    '--die-with-parent',
    '--new-session',
    ...mountArgs(
      { workspace: command.workspace, network, files: command.files ?? [], readonly: command.readonly ?? [] },
      settings,
    ),
    '--chdir',
    command.cwd ?? command.workspace,
    '--',
    ...limits,
    ...command.argv,
  ];
}

/**
 * With a root worker the sandbox runs as TROUPE_SANDBOX_UID, which must own the workspace (files the
 * worker wrote are handed over, symlinks themselves and never their targets) and reach it: folders
 * on the way get o+x (search, not list) inside the data folder, and anywhere else must have it.
 */
async function handOver(command: ConfinedCommand, settings: SandboxSettings): Promise<void> {
  if (!workerIsRoot()) return;
  const uid = settings.TROUPE_SANDBOX_UID;
  const paths = [command.workspace, ...(command.files ?? []).map((file) => file.host)];
  const ours = [
    ...(settings.TROUPE_DATA_DIR ? [resolve(settings.TROUPE_DATA_DIR)] : []),
    ...paths.filter((path) => basename(dirname(path)) === 'workspaces').map((path) => dirname(dirname(path))),
  ];
  for (const path of paths) {
    for (let dir = dirname(path); dir !== dirname(dir); dir = dirname(dir)) {
      const info = await stat(dir);
      if (info.mode & 0o001 || info.uid === uid) continue;
      if (!ours.some((root) => inside(root, dir))) {
        throw new SandboxUnavailable(
          `the sandbox user (uid ${uid}, TROUPE_SANDBOX_UID) cannot reach ${path}: ${dir} is not searchable by others; chmod o+x ${dir}, or keep the data folder elsewhere`,
        );
      }
      await chmod(dir, (info.mode & 0o7777) | 0o001);
    }
  }
  for (const path of paths) await claim(path, uid);
}

/** lchown of every entry the root worker owns under `path`; never follows a symlink. */
async function claim(path: string, uid: number): Promise<void> {
  const info = await lstat(path).catch(() => undefined);
  if (!info) return;
  if (info.uid === 0) await lchown(path, uid, uid);
  if (!info.isDirectory()) return;
  const entries = await readdir(path).catch(() => [] as string[]);
  await Promise.all(entries.map((entry) => claim(join(path, entry), uid)));
}

const live = new Set<ChildProcess>();
let exitHookInstalled = false;

/** When the worker exits, whatever it started goes with it. */
function track(child: ChildProcess): void {
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.once('exit', () => {
      for (const each of live) killGroup(each, 'SIGKILL');
    });
  }
  live.add(child);
  child.once('close', () => live.delete(child));
}

/**
 * The argv that runs `command` confined, its workspace handed over to the sandbox user; or, with
 * TROUPE_SANDBOX=off, the command itself under a parent-death signal. For a caller that spawns the
 * process itself (the browser tool, through Playwright); it must give the process `command.env` only.
 * Throws SandboxUnavailable when the sandbox cannot start and nobody turned it off.
 */
export async function confinedArgv(
  command: ConfinedCommand,
): Promise<{ argv: string[]; unconfined: boolean }> {
  const settings = sandboxSettings();
  const refusal = await sandboxRefusal(settings);
  if (refusal) throw new SandboxUnavailable(refusal);
  if (settings.TROUPE_SANDBOX === 'off') {
    const pdeathsig = (await hasSetpriv()) ? ['setpriv', '--pdeathsig', 'KILL', '--'] : [];
    return { argv: [...pdeathsig, ...command.argv], unconfined: true };
  }
  await handOver(command, settings);
  return { argv: sandboxArgv(command, settings), unconfined: false };
}

/**
 * Runs a command in the sandbox (or, with TROUPE_SANDBOX=off, unconfined but still in its own
 * process group with a parent-death signal), with a wall-time limit, capped output and progress.
 * A retry first kills whatever an earlier attempt of the same step left running.
 */
export async function runConfined(command: ConfinedCommand): Promise<ConfinedResult> {
  const key = command.env.TROUPE_IDEMPOTENCY_KEY;
  const attempt = Number(command.env.TROUPE_STEP_ATTEMPT ?? 1);
  const { argv, unconfined } = await confinedArgv(command);
  if (key && attempt > 1) await killEarlierAttempts(key, attempt);
  const result = await spawnCaptured(argv, command, unconfined ? (command.cwd ?? command.workspace) : '/');
  return unconfined ? { ...result, unconfined: true } : result;
}

let setprivFound: Promise<boolean> | undefined;
const hasSetpriv = () =>
  (setprivFound ??= execFileAsync('setpriv', ['--version']).then(
    () => true,
    () => false,
  ));

function spawnCaptured(argv: string[], command: ConfinedCommand, cwd: string): Promise<ConfinedResult> {
  const [program = 'true', ...args] = argv;
  return new Promise((resolve, reject) => {
    const child = spawn(program, args, {
      cwd,
      env: command.env,
      detached: true,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    track(child);
    const started = Date.now();
    const stdout = new CappedBuffer(command.maxOutputBytes);
    const stderr = new CappedBuffer(command.maxOutputBytes);
    child.stdout?.on('data', (chunk: Buffer) => stdout.push(chunk));
    child.stderr?.on('data', (chunk: Buffer) => stderr.push(chunk));
    child.stdin?.on('error', () => undefined);
    child.stdin?.end(command.stdin ?? '');
    const ticker =
      command.onProgress &&
      setInterval(
        () =>
          command.onProgress?.({ elapsedMs: Date.now() - started, outputBytes: stdout.bytes + stderr.bytes }),
        1000,
      );
    let timedOut = false;
    const stop = () => stopGroup(child, 1_000);
    const timer = setTimeout(() => {
      timedOut = true;
      stop();
    }, command.timeoutMs);
    command.signal?.addEventListener('abort', stop, { once: true });
    const done = () => {
      clearTimeout(timer);
      if (ticker) clearInterval(ticker);
      command.signal?.removeEventListener('abort', stop);
    };
    child.on('error', (err) => {
      done();
      reject(err);
    });
    child.on('close', (code, signal) => {
      done();
      killGroup(child, 'SIGKILL');
      if (command.signal?.aborted) return reject(command.signal.reason as Error);
      const name = command.argv[0] ?? '';
      const note = timedOut ? `\n[${name} killed after ${command.timeoutMs} ms]` : '';
      resolve({
        exitCode: exitCodeOf(code, signal),
        stdout: stdout.text(),
        stderr: stderr.text() + note,
        ...(timedOut && { timedOut: true as const }),
        ...((stdout.truncated || stderr.truncated) && { truncated: true as const }),
      });
    });
  });
}
