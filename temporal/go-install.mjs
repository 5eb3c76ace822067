// `go install` into a folder, with progress read from its `-v` output. Plain JavaScript with no
// dependencies, because `npm run setup` runs it before anything else is installed.
import { spawn } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';

/**
 * @typedef {{ phase: string, done: number, total?: number, detail?: string }} Progress
 * @typedef {{
 *   packages: string[],
 *   gobin: string,
 *   ldflags?: string,
 *   expectedDownloads: number,
 *   expectedPackages: number,
 *   label?: string,
 * }} GoInstall
 */

/**
 * Runs `go install -v` for `packages` (all of one module version) with GOBIN set to a fresh `gobin`,
 * reporting each module download and each compiled package. Rejects with the last lines Go printed.
 * @param {string} go
 * @param {GoInstall} install
 * @param {(p: Progress) => void} onProgress
 * @returns {Promise<void>}
 */
export function goInstall(go, install, onProgress) {
  const { packages, gobin, ldflags, expectedDownloads, expectedPackages, label = '' } = install;
  rmSync(gobin, { recursive: true, force: true });
  mkdirSync(gobin, { recursive: true });
  const phase = (/** @type {string} */ what) => (label ? `${label}: ${what}` : what);
  return new Promise((resolve, reject) => {
    const args = ['install', '-v', ...(ldflags ? ['-ldflags', ldflags] : []), ...packages];
    const child = spawn(go, args, {
      env: { ...process.env, GOBIN: gobin, GOFLAGS: '-mod=mod', GOTOOLCHAIN: 'auto' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let downloads = 0;
    let compiled = 0;
    onProgress({ phase: phase('compiling packages'), done: 0, total: expectedPackages });
    /** @type {string[]} */
    const tail = [];
    let pending = '';
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (/** @type {string} */ chunk) => {
      const lines = (pending + chunk).split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines) {
        tail.push(line);
        if (tail.length > 20) tail.shift();
        if (line.startsWith('go: downloading')) {
          downloads += 1;
          onProgress({ phase: phase('downloading modules'), done: downloads, total: expectedDownloads });
        } else if (line && !line.startsWith('go:')) {
          compiled += 1;
          onProgress({
            phase: phase('compiling packages'),
            done: compiled,
            total: expectedPackages,
            detail: line,
          });
        }
      }
    });
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) {
        reject(new Error(`exit code ${code}\n${tail.join('\n')}`));
        return;
      }
      // Packages in Go's build cache print nothing, so a warm rebuild ends short of the estimate: show it done.
      const total = Math.max(compiled, 1);
      onProgress({ phase: phase('compiling packages'), done: total, total, detail: 'linked' });
      resolve();
    });
  });
}
