// Finds the Temporal CLI, or installs it into Troupe's cache. Plain JavaScript with no dependencies,
// because `npm run setup` runs it before anything else is installed.
import { execFileSync } from 'node:child_process';
import { accessSync, constants, existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import { homedir, platform, arch } from 'node:os';
import { delimiter, join } from 'node:path';
import { goInstall } from './go-install.mjs';

export const TEMPORAL_CLI_VERSION = 'v1.5.1';
const GO_PACKAGE = `github.com/temporalio/cli/cmd/temporal@${TEMPORAL_CLI_VERSION}`;
const binaryName = platform() === 'win32' ? 'temporal.exe' : 'temporal';

/** Troupe's cache folder: survives fresh clones, so CI and new checkouts reuse one CLI build. */
export function troupeCacheDir() {
  if (process.env.TROUPE_CACHE_DIR) return process.env.TROUPE_CACHE_DIR;
  const base = process.env.XDG_CACHE_HOME || join(homedir(), '.cache');
  return join(base, 'troupe');
}

/** Where the cached CLI lives; the version is in the path so an upgrade builds anew. */
export function cachedCliPath() {
  return join(troupeCacheDir(), 'temporal-cli', TEMPORAL_CLI_VERSION, binaryName);
}

/** @param {string} path */
export function isExecutable(path) {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** @param {string} name */
export function onPath(name) {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (dir && isExecutable(join(dir, name))) return join(dir, name);
  }
  return undefined;
}

/**
 * @typedef {{ path: string, source: 'TEMPORAL_CLI' | 'PATH' | 'cache' | 'go install' | 'download' }} FoundCli
 * @typedef {{ phase: string, done: number, total?: number, detail?: string }} Progress
 */

/**
 * Finds the CLI without installing anything: $TEMPORAL_CLI, then PATH, then the cache.
 * @returns {FoundCli | undefined}
 */
export function findTemporalCli() {
  const fromEnv = process.env.TEMPORAL_CLI;
  if (fromEnv) {
    if (!isExecutable(fromEnv)) {
      throw new Error(
        `TEMPORAL_CLI is set to ${fromEnv}, which is not an executable file. Point it at the temporal binary or unset it.`,
      );
    }
    return { path: fromEnv, source: 'TEMPORAL_CLI' };
  }
  const fromPath = onPath(binaryName);
  if (fromPath) return { path: fromPath, source: 'PATH' };
  const cached = cachedCliPath();
  if (isExecutable(cached)) return { path: cached, source: 'cache' };
  return undefined;
}

/** The CLI for code that needs one now (npm start, tests): a clear error if setup has not run. */
export function requireTemporalCli() {
  const found = findTemporalCli();
  if (!found) {
    throw new Error(
      `The Temporal CLI was not found (TEMPORAL_CLI, PATH, ${cachedCliPath()}). Run \`npm run setup\` to install it.`,
    );
  }
  return found.path;
}

/**
 * Finds the CLI, or installs it with `go install`, or downloads the official release.
 * @param {(p: Progress) => void} onProgress
 * @returns {Promise<FoundCli>}
 */
export async function findOrInstallTemporalCli(onProgress) {
  const found = findTemporalCli();
  if (found) return found;
  const target = cachedCliPath();
  mkdirSync(join(target, '..'), { recursive: true });
  const failures = [];
  const go = onPath('go');
  if (go) {
    try {
      await goInstallCli(go, target, onProgress);
      return { path: target, source: 'go install' };
    } catch (err) {
      failures.push(`go install ${GO_PACKAGE} failed: ${/** @type {Error} */ (err).message}`);
    }
  } else {
    failures.push('Go is not on PATH, so the CLI could not be built from source');
  }
  try {
    await download(target, onProgress);
    return { path: target, source: 'download' };
  } catch (err) {
    failures.push(`the release download failed: ${/** @type {Error} */ (err).message}`);
  }
  throw new Error(
    [
      'Could not find or install the Temporal CLI:',
      ...failures.map((f) => `  - ${f}`),
      'Install it one of these ways, then run `npm run setup` again:',
      `  - install Go 1.24+ and let setup run \`go install ${GO_PACKAGE}\``,
      '  - install the CLI from https://docs.temporal.io/cli and put `temporal` on PATH',
      '  - set TEMPORAL_CLI to the path of a temporal binary',
    ].join('\n'),
  );
}

// Measured on a cold build of v1.5.1: the number of lines `go install -v` prints (downloads and packages).
const EXPECTED_GO_DOWNLOADS = 170;
const EXPECTED_GO_PACKAGES = 1300;

/**
 * @param {string} go
 * @param {string} target
 * @param {(p: Progress) => void} onProgress
 */
async function goInstallCli(go, target, onProgress) {
  const gobin = join(target, '..', 'gobin');
  await goInstall(
    go,
    {
      packages: [GO_PACKAGE],
      gobin,
      ldflags: `-X github.com/temporalio/cli/temporalcli.Version=${TEMPORAL_CLI_VERSION.slice(1)}`,
      expectedDownloads: EXPECTED_GO_DOWNLOADS,
      expectedPackages: EXPECTED_GO_PACKAGES,
    },
    onProgress,
  );
  renameSync(join(gobin, binaryName), target);
  rmSync(gobin, { recursive: true, force: true });
}

/**
 * @param {string} target
 * @param {(p: Progress) => void} onProgress
 */
async function download(target, onProgress) {
  const os = { linux: 'linux', darwin: 'darwin', win32: 'windows' }[/** @type {string} */ (platform())];
  const cpu = { x64: 'amd64', arm64: 'arm64' }[/** @type {string} */ (arch())];
  if (!os || !cpu) throw new Error(`no release is published for ${platform()}/${arch()}`);
  const url = `https://temporal.download/cli/archive/${TEMPORAL_CLI_VERSION}?platform=${os}&arch=${cpu}`;
  onProgress({ phase: 'downloading release', done: 0 });
  const response = await fetch(url, { signal: AbortSignal.timeout(60_000) });
  if (!response.ok || !response.body) throw new Error(`GET ${url} answered ${response.status}`);
  const archive = join(target, '..', os === 'windows' ? 'temporal.zip' : 'temporal.tar.gz');
  const { writeFile } = await import('node:fs/promises');
  await writeFile(archive, Buffer.from(await response.arrayBuffer()));
  execFileSync('tar', ['-xf', archive, '-C', join(target, '..'), binaryName]);
  rmSync(archive, { force: true });
  if (!existsSync(target)) throw new Error(`the archive from ${url} has no ${binaryName}`);
  onProgress({ phase: 'downloading release', done: 1, total: 1 });
}

/**
 * The version line the CLI prints, e.g. "temporal version 1.5.1 (Server 1.29.1, UI 2.42.1)".
 * @param {string} path
 */
export function cliVersion(path) {
  return execFileSync(path, ['--version'], { encoding: 'utf8' }).trim();
}
