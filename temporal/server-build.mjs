// Finds Temporal Server, its SQL tool and the Temporal Web server in Troupe's cache, or builds them there
// (`npm run setup -- --server`), for `npm run start:cluster`. Plain JavaScript with no dependencies, like
// cli.mjs, because setup runs it before anything else is installed.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { platform } from 'node:os';
import { join } from 'node:path';
import { isExecutable, onPath, troupeCacheDir } from './cli.mjs';
import { goInstall } from './go-install.mjs';

/** The server the Temporal CLI v1.5.1 embeds, so the dev server and the cluster run the same code. */
export const TEMPORAL_SERVER_VERSION = 'v1.29.1';
/** The Temporal Web the same CLI embeds. */
export const TEMPORAL_UI_VERSION = 'v2.42.1';

const SERVER_MODULE = 'go.temporal.io/server';
const UI_MODULE = 'github.com/temporalio/ui-server/v2';
const exe = platform() === 'win32' ? '.exe' : '';

/**
 * Where the built binaries and the schema live; the versions are in the path so an upgrade builds anew.
 * `schemaDir` holds `temporal/versioned` and `visibility/versioned`, copied from the server's module.
 */
export function serverPaths() {
  const serverDir = join(troupeCacheDir(), 'temporal-server', TEMPORAL_SERVER_VERSION);
  const uiDir = join(troupeCacheDir(), 'temporal-ui-server', TEMPORAL_UI_VERSION);
  return {
    server: join(serverDir, `temporal-server${exe}`),
    sqlTool: join(serverDir, `temporal-sql-tool${exe}`),
    schemaDir: join(serverDir, 'schema', 'postgresql', 'v12'),
    uiServer: join(uiDir, `temporal-ui-server${exe}`),
  };
}

/** What is missing from the cache, by name; empty when `npm run start:cluster` has all it needs. */
export function missingServerParts() {
  const paths = serverPaths();
  /** @type {string[]} */
  const missing = [];
  if (!isExecutable(paths.server)) missing.push(paths.server);
  if (!isExecutable(paths.sqlTool)) missing.push(paths.sqlTool);
  if (!isDir(join(paths.schemaDir, 'temporal', 'versioned'))) missing.push(join(paths.schemaDir, 'temporal'));
  if (!isDir(join(paths.schemaDir, 'visibility', 'versioned')))
    missing.push(join(paths.schemaDir, 'visibility'));
  if (!isExecutable(paths.uiServer)) missing.push(paths.uiServer);
  return missing;
}

/** The paths for code that needs them now (start:cluster, tests): a clear error if setup has not built them. */
export function requireServerParts() {
  const missing = missingServerParts();
  if (missing.length > 0) {
    throw new Error(
      `Temporal Server is not built (missing ${missing.join(', ')}). Run \`npm run setup -- --server\` to build it.`,
    );
  }
  return serverPaths();
}

/** @param {string} path */
function isDir(path) {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

// Measured on the first build of each, after the Temporal CLI's: the lines `go install -v` prints.
const SERVER_BUILD = { expectedDownloads: 48, expectedPackages: 640 };
const UI_BUILD = { expectedDownloads: 12, expectedPackages: 155 };

/**
 * Builds what is missing with `go install` into the cache, and copies the PostgreSQL schema from the
 * server's module, at the same version, beside the binaries.
 * @param {(p: import('./go-install.mjs').Progress) => void} onProgress
 * @returns {Promise<{ built: string[] }>} what it built (or copied), by name
 */
export async function findOrBuildServer(onProgress) {
  const paths = serverPaths();
  /** @type {string[]} */
  const built = [];
  const go = onPath(`go${exe}`);
  const needsServer = !isExecutable(paths.server) || !isExecutable(paths.sqlTool);
  const needsUi = !isExecutable(paths.uiServer);
  const needsSchema = missingServerParts().some((part) => part.startsWith(paths.schemaDir));
  if (!go && (needsServer || needsUi || needsSchema)) {
    throw new Error(
      `Go is not on PATH. Temporal Server is built from source: install Go 1.24+ and run \`npm run setup -- --server\` again (it runs \`go install ${SERVER_MODULE}/cmd/server@${TEMPORAL_SERVER_VERSION} ${SERVER_MODULE}/cmd/tools/sql@${TEMPORAL_SERVER_VERSION}\`).`,
    );
  }
  if (!go) return { built };
  if (needsServer) {
    const gobin = join(paths.server, '..', 'gobin');
    await goInstall(
      go,
      {
        packages: [
          `${SERVER_MODULE}/cmd/server@${TEMPORAL_SERVER_VERSION}`,
          `${SERVER_MODULE}/cmd/tools/sql@${TEMPORAL_SERVER_VERSION}`,
        ],
        gobin,
        label: 'Temporal Server',
        ...SERVER_BUILD,
      },
      onProgress,
    );
    renameSync(join(gobin, `server${exe}`), paths.server);
    renameSync(join(gobin, `sql${exe}`), paths.sqlTool);
    rmSync(gobin, { recursive: true, force: true });
    built.push('temporal-server', 'temporal-sql-tool');
  }
  if (needsSchema) {
    const modCache = execFileSync(go, ['env', 'GOMODCACHE'], { encoding: 'utf8' }).trim();
    const from = join(modCache, `${SERVER_MODULE}@${TEMPORAL_SERVER_VERSION}`, 'schema', 'postgresql', 'v12');
    if (!isDir(from)) {
      // `go install` fetched the module; a cleaned module cache has it no more, so fetch it again.
      execFileSync(go, ['mod', 'download', `${SERVER_MODULE}@${TEMPORAL_SERVER_VERSION}`], {
        env: { ...process.env, GOFLAGS: '-mod=mod' },
        stdio: 'ignore',
      });
    }
    rmSync(paths.schemaDir, { recursive: true, force: true });
    for (const store of ['temporal', 'visibility']) {
      copyTree(join(from, store, 'versioned'), join(paths.schemaDir, store, 'versioned'));
    }
    built.push('schema');
  }
  if (needsUi) {
    const gobin = join(paths.uiServer, '..', 'gobin');
    await goInstall(
      go,
      {
        packages: [`${UI_MODULE}/cmd/server@${TEMPORAL_UI_VERSION}`],
        gobin,
        label: 'Temporal Web',
        ...UI_BUILD,
      },
      onProgress,
    );
    renameSync(join(gobin, `server${exe}`), paths.uiServer);
    rmSync(gobin, { recursive: true, force: true });
    built.push('temporal-ui-server');
  }
  return { built };
}

/**
 * Copies a folder of the module cache, whose files and folders are read-only, as ordinary writable
 * files, so a later upgrade or `rm -rf` of the cache works without a chmod.
 * @param {string} from
 * @param {string} to
 */
function copyTree(from, to) {
  mkdirSync(to, { recursive: true });
  for (const entry of readdirSync(from, { withFileTypes: true })) {
    const source = join(from, entry.name);
    const target = join(to, entry.name);
    if (entry.isDirectory()) copyTree(source, target);
    else if (entry.isFile()) writeFileSync(target, readFileSync(source));
  }
}

/**
 * The version line of the built server, e.g. "temporal-server version 1.29.1".
 * @param {string} path
 */
export function serverVersion(path) {
  return execFileSync(path, ['--version'], { encoding: 'utf8' }).trim();
}
