import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { expect } from 'vitest';
import type { RunSnapshot } from '../../src/engine/run-snapshot';
import { readSupervisedParts } from '../../src/supervisor/supervisor-status';
import { requireTemporalCli } from '../../temporal/cli.mjs';
import { parseDatabaseUrl } from '../../temporal/database-url';
import { requireServerParts } from '../../temporal/server-build.mjs';
import { dropDatabases } from '../../temporal/temporal-schema';
import { isClosed, waitUntil } from '../helpers/harness';

export const execute = promisify(execFile);
const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
export const sampleRepo = fileURLToPath(new URL('../fixtures/sample-repo', import.meta.url));

/**
 * `count` consecutive free ports on loopback, from a random start, so parallel files do not collide;
 * below 32768, since Temporal stores its membership ports as smallint.
 */
export async function freePorts(count: number): Promise<number> {
  const free = (port: number) =>
    new Promise<boolean>((resolve) => {
      const probe = createServer();
      probe.once('error', () => resolve(false));
      probe.listen(port, '127.0.0.1', () => probe.close(() => resolve(true)));
    });
  for (;;) {
    const first = 20_000 + Math.floor(Math.random() * 12_000);
    let all = true;
    for (let port = first; port < first + count && all; port++) all = await free(port);
    if (all) return first;
  }
}

export async function psql(db: string, sql: string): Promise<string> {
  const { stdout } = await execute('psql', ['-h', '127.0.0.1', '-U', 'postgres', '-d', db, '-Atc', sql], {
    timeout: 30_000,
  });
  return stdout.trim();
}

export async function getRun(base: string, runId: string): Promise<RunSnapshot> {
  return (await (await fetch(`${base}/api/runs/${runId}`)).json()) as RunSnapshot;
}

export async function waitClosed(base: string, runId: string, timeoutMs: number): Promise<RunSnapshot> {
  await waitUntil(
    async () => isClosed(await getRun(base, runId).catch(() => ({ status: 'running' }) as RunSnapshot)),
    {
      timeoutMs,
      everyMs: 500,
      what: `${runId} to close`,
    },
  );
  return getRun(base, runId);
}

/**
 * One test file's `npm run start:cluster`, as a user types it: fresh databases with a unique name
 * (dropped by `cleanUp`), free ports, its own data folder and task queue.
 */
export class TestCluster {
  readonly database = `troupe_test_${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;
  env: NodeJS.ProcessEnv = {};
  apiUrls: string[] = [];
  temporalAddress = '';
  output = '';
  private troupe: ChildProcess | undefined;
  private paths: ReturnType<typeof requireServerParts> | undefined;

  /** Fails, saying to run `npm run setup -- --server`, without the server build. */
  async prepare(extraEnv: NodeJS.ProcessEnv): Promise<void> {
    this.paths = requireServerParts();
    const temporalPort = await freePorts(10);
    const apiPort = await freePorts(2);
    this.apiUrls = [`http://127.0.0.1:${apiPort}`, `http://127.0.0.1:${apiPort + 1}`];
    this.temporalAddress = `127.0.0.1:${temporalPort}`;
    this.env = {
      ...process.env,
      ...extraEnv,
      TEMPORAL_DATABASE_URL: `postgres://postgres@127.0.0.1:5432/${this.database}`,
      TEMPORAL_PORT: String(temporalPort),
      TEMPORAL_UI_PORT: String(temporalPort + 9),
      TEMPORAL_INTERNAL_PORTS: String(temporalPort + 1),
      PORT: String(apiPort),
      TROUPE_AUTH: 'off',
      TROUPE_DATA_DIR: await mkdtemp(join(tmpdir(), 'troupe-cluster-')),
      TROUPE_TASK_QUEUE: `test-cluster-${this.database}`,
      TROUPE_REPOS: sampleRepo,
      TROUPE_WORKER_METRICS_PORT: '0',
    };
    delete this.env.TEMPORAL_ADDRESS;
    delete this.env.DATABASE_URL;
  }

  private buildError: Error | undefined;

  /**
   * A test file's `beforeAll`: prepares and starts the cluster, or, without the server build, keeps the
   * error for `requireBuild` (a failing beforeAll would only mark the tests skipped).
   */
  async boot(extraEnv: NodeJS.ProcessEnv): Promise<void> {
    try {
      await this.prepare(extraEnv);
    } catch (err) {
      this.buildError = err as Error;
      return;
    }
    await this.start();
  }

  /** Never skipped: without the build each test fails, saying to run `npm run setup -- --server`. */
  requireBuild(): void {
    if (this.buildError) throw this.buildError;
  }

  /** Resolves once `npm run start:cluster` says Troupe is up. */
  async start(): Promise<void> {
    this.output = '';
    const troupe = spawn('npm', ['run', '--silent', 'start:cluster'], {
      cwd: repoRoot,
      env: this.env,
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    this.troupe = troupe;
    troupe.stdout?.on('data', (chunk: Buffer) => (this.output += chunk.toString()));
    troupe.stderr?.on('data', (chunk: Buffer) => (this.output += chunk.toString()));
    await waitUntil(() => this.output.includes('Troupe is up.') || troupe.exitCode !== null, {
      timeoutMs: 420_000,
      everyMs: 250,
      what: '`npm run start:cluster` to say Troupe is up',
    });
    expect(troupe.exitCode, this.output).toBeNull();
  }

  async stop(): Promise<void> {
    const child = this.troupe;
    this.troupe = undefined;
    if (!child?.pid || child.exitCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    process.kill(-child.pid, 'SIGINT');
    await exited;
  }

  /** The pid of a supervised part (`worker:tools#1`, `api#2`, `temporal-server`), from the supervisor's status. */
  async pidOf(part: string): Promise<number> {
    const parts = await readSupervisedParts(this.env.TROUPE_DATA_DIR as string);
    const found = parts.find((entry) => entry.name === part && entry.state === 'running');
    if (!found?.pid) throw new Error(`no running part ${part}; parts: ${JSON.stringify(parts)}`);
    return found.pid;
  }

  /** How often the supervisor restarted `part`. */
  async restartsOf(part: string): Promise<number> {
    const parts = await readSupervisedParts(this.env.TROUPE_DATA_DIR as string);
    return parts.find((entry) => entry.name === part)?.restarts ?? 0;
  }

  /** `temporal workflow list` against the cluster's frontend, as JSON lines. */
  async workflowList(): Promise<{ execution: { workflowId: string }; status: string }[]> {
    const { stdout } = await execute(
      requireTemporalCli(),
      ['workflow', 'list', '--address', this.temporalAddress, '--namespace', 'default', '-o', 'jsonl'],
      { timeout: 30_000 },
    );
    return stdout
      .split('\n')
      .filter((line) => line.trim())
      .map((line) => JSON.parse(line) as { execution: { workflowId: string }; status: string });
  }

  /** Drops Temporal's two databases and Troupe's own. */
  async cleanUp(): Promise<void> {
    await this.stop();
    if (this.paths) await dropDatabases(parseDatabaseUrl(this.env.TEMPORAL_DATABASE_URL), this.paths);
    await execute('dropdb', [
      '-h',
      '127.0.0.1',
      '-U',
      'postgres',
      '--if-exists',
      `${this.database}_troupe`,
    ]).catch(() => undefined);
  }
}
