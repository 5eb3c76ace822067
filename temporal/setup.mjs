// `npm run setup`: everything a fresh machine needs, the Temporal CLI and Temporal Server (for
// `npm run start:cluster`) included. Safe to run again: later runs reuse node_modules and the cached
// builds and take seconds. `--server` is accepted for clarity (the server is built either way);
// `--no-server` skips the server for a machine that only runs the dev server; `--no-deploy-tools` skips
// helm and kubeconform, which `npm run check:deploy` and its test use.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { cliVersion, findOrInstallTemporalCli } from './cli.mjs';
import { deployToolPaths, findOrBuildDeployTools } from '../deploy/deploy-tools.mjs';
import { findOrBuildServer, serverPaths, serverVersion } from './server-build.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

function checkNode() {
  const [major = 0, minor = 0] = process.versions.node.split('.').map(Number);
  if (major < 20 || (major === 20 && minor < 19)) {
    throw new Error(`Troupe needs Node.js 20.19 or newer; this is ${process.versions.node}.`);
  }
}

/**
 * better-sqlite3 (the embedded state store) builds from source when no prebuilt binary can be had,
 * and node-gyp would then download Node's headers. This Node's own headers, when installed beside
 * it (Debian's and NodeSource's packages put them in /usr/include/node), serve instead.
 */
function localNodeHeaders() {
  if (process.env.npm_config_nodedir) return {};
  const prefix = dirname(dirname(process.execPath));
  const header = join(prefix, 'include', 'node', 'node_version.h');
  if (!existsSync(header)) return {};
  const text = readFileSync(header, 'utf8');
  const version = ['MAJOR', 'MINOR', 'PATCH']
    .map((part) => new RegExp(`#define NODE_${part}_VERSION (\\d+)`).exec(text)?.[1])
    .join('.');
  return version === process.versions.node ? { npm_config_nodedir: prefix } : {};
}

async function installPackages() {
  const lock = join(root, 'package-lock.json');
  const installed = join(root, 'node_modules', '.package-lock.json');
  if (existsSync(installed) && statSync(installed).mtimeMs >= statSync(lock).mtimeMs) {
    console.log('npm packages: up to date');
    return;
  }
  // A registry connection that drops mid-download (ECONNRESET) fails npm ci outright, since npm's own
  // fetch retries do not cover a body cut short, so the whole install is tried again a few times.
  const attempts = 3;
  for (let attempt = 1; ; attempt += 1) {
    console.log(`npm packages: installing (npm ci)${attempt > 1 ? `, try ${attempt} of ${attempts}` : ''}`);
    const result = spawnSync('npm', ['ci', '--no-audit', '--no-fund', '--fetch-retries=5'], {
      cwd: root,
      stdio: 'inherit',
      env: { ...process.env, ...localNodeHeaders() },
    });
    if (result.status === 0) return;
    if (attempt === attempts) {
      throw new Error(`npm ci failed with exit code ${result.status} after ${attempts} tries`);
    }
    await sleep(5_000 * attempt);
  }
}

/**
 * A progress reporter for a Go build: a bar per phase, printed every 15 s when not on a terminal (CI).
 * @param {string} name what is built, put before each phase; empty when the phases name it
 */
async function progressReporter(name) {
  const { default: progress } = await import('cli-progress');
  const bar = new progress.SingleBar(
    {
      format: '  {phase} [{bar}] {value}/{total} {duration_formatted} {detail}',
      noTTYOutput: true,
      notTTYSchedule: 15_000,
      hideCursor: true,
    },
    progress.Presets.shades_classic,
  );
  let phase = '';
  return {
    /** @param {import('./go-install.mjs').Progress} update */
    update({ phase: next, done, total, detail }) {
      if (next !== phase) {
        if (phase) bar.stop();
        phase = next;
        console.log(`${name ? `${name}: ` : ''}${phase} (the first build takes several minutes)`);
        bar.start(total ?? 1, 0, { phase, detail: '' });
      }
      bar.setTotal(Math.max(total ?? 1, done));
      bar.update(done, { detail: (detail ?? '').slice(-50) });
    },
    stop() {
      if (phase) bar.stop();
    },
  };
}

async function installTemporalCli() {
  const reporter = await progressReporter('Temporal CLI');
  const started = Date.now();
  const found = await findOrInstallTemporalCli((update) => reporter.update(update));
  reporter.stop();
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  console.log(`Temporal CLI: ${found.path} (found via ${found.source}, ${seconds}s)`);
  console.log(`  ${cliVersion(found.path)}`);
}

/**
 * Temporal Server on PostgreSQL, its SQL tool and schema, and Temporal Web, for `npm run start:cluster`:
 * built from source into the cache the first time, found there afterwards.
 */
async function buildTemporalServer() {
  const reporter = await progressReporter('');
  const started = Date.now();
  const { built } = await findOrBuildServer((update) => reporter.update(update));
  reporter.stop();
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  const paths = serverPaths();
  console.log(
    `Temporal Server: ${paths.server} (${built.length > 0 ? `built ${built.join(', ')}` : 'cached'}, ${seconds}s)\n  ${serverVersion(paths.server)}`,
  );
  console.log(`  SQL tool ${paths.sqlTool}, schema ${paths.schemaDir}, Temporal Web ${paths.uiServer}`);
}

/**
 * helm and kubeconform, and the Kubernetes, KEDA and Compose schemas, for `npm run check:deploy`:
 * built from the Go module proxy the first time, found in the cache afterwards.
 */
async function buildDeployTools() {
  const reporter = await progressReporter('');
  const started = Date.now();
  const made = await findOrBuildDeployTools((update) => reporter.update(update));
  reporter.stop();
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  const { helm, kubeconform } = deployToolPaths();
  console.log(
    `Deploy checks: ${helm}, ${kubeconform} (${made.length > 0 ? `made ${made.join(', ')}` : 'cached'}, ${seconds}s)`,
  );
}

/**
 * The browser tool drives the system's Chromium (never a downloaded one). On Debian, setup installs
 * it when it runs as root; elsewhere it says what to run.
 */
function ensureChromium() {
  const path = '/usr/bin/chromium'; // the browser tool's default chromiumPath
  if (existsSync(path)) {
    console.log(`Chromium: ${path}`);
    return;
  }
  const hint = `The browser tool and its tests need it: install your system's Chromium (on Debian: apt-get install chromium), or set chromiumPath in TROUPE_TOOLS_FILE.`;
  // Only Debian's own package is known to be a real Chromium at that path (Ubuntu's is a snap wrapper).
  const osRelease = '/etc/os-release';
  const debian = existsSync(osRelease) && /^ID=debian$/m.test(readFileSync(osRelease, 'utf8'));
  if (!debian || process.getuid?.() !== 0) {
    console.warn(`Chromium: not found at ${path}. ${hint}`);
    return;
  }
  console.log(`Chromium: not found at ${path}; installing Debian's chromium package (apt-get)`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  for (const args of [
    ['update', '-qq'],
    ['install', '-y', '-qq', '--no-install-recommends', 'chromium'],
  ]) {
    const result = spawnSync('apt-get', args, { stdio: 'inherit', env });
    if (result.status !== 0) {
      console.warn(`Chromium: apt-get ${args.join(' ')} failed (exit code ${result.status}). ${hint}`);
      return;
    }
  }
}

/**
 * Every command a run starts goes through bubblewrap (bwrap). On Debian, setup installs it when it
 * runs as root; elsewhere it says what to install, since without it commands are refused.
 */
function ensureBubblewrap() {
  const found = spawnSync('bwrap', ['--version'], { encoding: 'utf8' });
  if (found.status === 0) {
    console.log(`bubblewrap: ${found.stdout.trim()}`);
    return;
  }
  const hint =
    'Commands run in its sandbox and are refused without it: install bubblewrap (on Debian: apt-get install bubblewrap; Fedora: dnf install bubblewrap), or set TROUPE_SANDBOX=off to run them unconfined.';
  const osRelease = '/etc/os-release';
  const debian = existsSync(osRelease) && /^ID=debian$/m.test(readFileSync(osRelease, 'utf8'));
  if (!debian || process.getuid?.() !== 0) {
    console.warn(`bubblewrap: not found. ${hint}`);
    return;
  }
  console.log("bubblewrap: not found; installing Debian's bubblewrap package (apt-get)");
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  for (const args of [
    ['update', '-qq'],
    ['install', '-y', '-qq', '--no-install-recommends', 'bubblewrap'],
  ]) {
    const result = spawnSync('apt-get', args, { stdio: 'inherit', env });
    if (result.status !== 0) {
      console.warn(`bubblewrap: apt-get ${args.join(' ')} failed (exit code ${result.status}). ${hint}`);
      return;
    }
  }
}

/** The key that encrypts every Temporal payload, in the data folder (git-ignored), made once. */
function ensurePayloadKey() {
  const script = join(root, 'scripts', 'payload-key.ts');
  const result = spawnSync(process.execPath, ['--import', 'tsx', script, 'ensure'], {
    cwd: root,
    stdio: 'inherit',
  });
  if (result.status !== 0) throw new Error(`making the payload key failed (exit code ${result.status})`);
}

/** The console (ui/), built into ui/dist, which the API serves at `/`. */
function buildUi() {
  console.log('UI: building the console (vite build)');
  const result = spawnSync('npm', ['run', '--silent', 'build:ui'], { cwd: root, stdio: 'inherit' });
  if (result.status !== 0) throw new Error(`the UI build failed with exit code ${result.status}`);
}

async function main() {
  checkNode();
  await installPackages();
  await installTemporalCli();
  if (!process.argv.includes('--no-server')) await buildTemporalServer();
  if (!process.argv.includes('--no-deploy-tools')) await buildDeployTools();
  ensureChromium();
  ensureBubblewrap();
  buildUi();
  mkdirSync(join(root, '.data'), { recursive: true });
  ensurePayloadKey();
  console.log(
    'Setup done. Next: `npm start`, then open the console at http://127.0.0.1:3000/ (Temporal Web: http://localhost:8233)',
  );
  if (!process.argv.includes('--no-server')) {
    console.log(
      '  or `npm run start:cluster`: Temporal Server on PostgreSQL, Temporal Web on http://localhost:8333, the API on :3000 and :3001',
    );
  }
}

main().catch((err) => {
  console.error(`setup failed: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
