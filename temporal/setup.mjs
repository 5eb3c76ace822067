// `npm run setup`: everything a fresh machine needs, the Temporal CLI included. Safe to run again: later
// runs reuse node_modules and the cached CLI and take seconds.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cliVersion, findOrInstallTemporalCli } from './cli.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

function checkNode() {
  const [major = 0, minor = 0] = process.versions.node.split('.').map(Number);
  if (major < 20 || (major === 20 && minor < 19)) {
    throw new Error(`Troupe needs Node.js 20.19 or newer; this is ${process.versions.node}.`);
  }
}

function installPackages() {
  const lock = join(root, 'package-lock.json');
  const installed = join(root, 'node_modules', '.package-lock.json');
  if (existsSync(installed) && statSync(installed).mtimeMs >= statSync(lock).mtimeMs) {
    console.log('npm packages: up to date');
    return;
  }
  console.log('npm packages: installing (npm ci)');
  const result = spawnSync('npm', ['ci', '--no-audit', '--no-fund'], { cwd: root, stdio: 'inherit' });
  if (result.status !== 0) throw new Error(`npm ci failed with exit code ${result.status}`);
}

async function installTemporalCli() {
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
  const started = Date.now();
  const found = await findOrInstallTemporalCli(({ phase: next, done, total, detail }) => {
    if (next !== phase) {
      if (phase) bar.stop();
      phase = next;
      console.log(`Temporal CLI: ${phase} (the first build takes several minutes)`);
      bar.start(total ?? 1, 0, { phase, detail: '' });
    }
    bar.setTotal(Math.max(total ?? 1, done));
    bar.update(done, { detail: (detail ?? '').slice(-50) });
  });
  if (phase) bar.stop();
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  console.log(`Temporal CLI: ${found.path} (found via ${found.source}, ${seconds}s)`);
  console.log(`  ${cliVersion(found.path)}`);
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

async function main() {
  checkNode();
  installPackages();
  await installTemporalCli();
  ensureChromium();
  mkdirSync(join(root, '.data'), { recursive: true });
  console.log(
    'Setup done. Next: `npm start`, then open http://127.0.0.1:3000/healthz and http://localhost:8233',
  );
}

main().catch((err) => {
  console.error(`setup failed: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
