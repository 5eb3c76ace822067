import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Validator } from '@seriousme/openapi-schema-validator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { isClosed, postJson, readExample, waitForRun, waitUntil, type Api } from '../helpers/harness';
import { startStack, type Stack } from '../helpers/stack';
import { testPayloadEnv } from '../helpers/payload-codec';

let stack: Stack;
let env: TestWorkflowEnvironment;
let api: Api;

beforeAll(async () => {
  stack = await startStack('rest api', { server: true });
  ({ env, api } = stack);
});

afterAll(() => stack?.stop());

const call = async (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) => {
  const response = await fetch(`${api.baseUrl}${path}`, {
    method,
    headers: { ...(body !== undefined && { 'content-type': 'application/json' }), ...headers },
    ...(body !== undefined && { body: typeof body === 'string' ? body : JSON.stringify(body) }),
  });
  const type = response.headers.get('content-type') ?? '';
  const text = await response.text();
  return { status: response.status, type, body: type.includes('json') && text ? JSON.parse(text) : text };
};

const waitSpec = (name: string, duration = '30s') => ({
  name,
  description: `waits ${duration} for tests`,
  steps: [{ id: 'pause', kind: 'wait', with: { duration } }],
});

describe('runs', () => {
  it('starts a run from a saved spec by name and answers its result once it closes', async () => {
    const saved = await call('POST', '/api/specs', { spec: await readExample('hello.yaml') });
    expect(saved.status).toBe(201);
    const started = await postJson(`${api.baseUrl}/api/runs`, {
      specName: 'hello',
      input: { name: 'saved' },
    });
    expect(started.status).toBe(201);
    const result = await call('GET', `/api/runs/${started.body.runId}/result?wait=30`);
    expect(result.status).toBe(200);
    expect(result.body).toMatchObject({ status: 'completed', output: 'Hello, saved! (13 characters)' });
  });

  it('answers 202 for the result of a run that is still running', async () => {
    const started = await postJson(`${api.baseUrl}/api/runs`, { spec: waitSpec('slow') });
    const result = await call('GET', `/api/runs/${started.body.runId}/result`);
    expect(result.status).toBe(202);
    expect(result.body).toEqual({ runId: started.body.runId, status: 'running' });
    expect((await call('POST', `/api/runs/${started.body.runId}/cancel`)).status).toBe(202);
  });

  it('refuses a start naming a saved spec that does not exist, and one with both fields wrong', async () => {
    const missing = await postJson(`${api.baseUrl}/api/runs`, { specName: 'nope' });
    expect(missing.status).toBe(404);
    expect(missing.type).toContain('application/problem+json');
    const bad = await postJson(`${api.baseUrl}/api/runs`, { specName: 'bad name!' });
    expect(bad.status).toBe(400);
    expect(bad.body.errors[0].path).toBe('specName');
  });

  it('lists runs filtered by status, agent and text, a page at a time', async () => {
    const ids: string[] = [];
    for (let index = 0; index < 3; index += 1) {
      // TroupeAgents holds the agents and tools a run uses: this one uses the noop tool.
      const spec = waitSpec('listed');
      spec.steps.push({ id: 'tell', kind: 'tool', tool: 'noop', dependsOn: ['pause'] } as never);
      ids.push((await postJson(`${api.baseUrl}/api/runs`, { spec })).body.runId);
    }
    await waitUntil(
      async () => (await call('GET', '/api/runs?status=running&agent=noop&limit=50')).body.runs.length >= 3,
      { timeoutMs: 20_000, everyMs: 250 },
    );
    const first = await call('GET', '/api/runs?status=running&agent=noop&limit=2');
    expect(first.status).toBe(200);
    expect(first.body.runs).toHaveLength(2);
    expect(first.body.nextCursor).toMatch(/^[A-Za-z0-9_-]+$/);
    const second = await call(
      'GET',
      `/api/runs?status=running&agent=noop&limit=2&cursor=${first.body.nextCursor}`,
    );
    const seen = [...first.body.runs, ...second.body.runs].map((run: { runId: string }) => run.runId);
    expect(new Set(seen).size).toBe(seen.length);
    for (const id of ids) expect(seen).toContain(id);
    const byText = await call('GET', '/api/runs?q=waits');
    expect(byText.body.runs.length).toBeGreaterThanOrEqual(3);
    const none = await call('GET', '/api/runs?agent=no-such-agent');
    expect(none.body.runs).toEqual([]);
    const since = await call(
      'GET',
      `/api/runs?since=${encodeURIComponent(new Date(Date.now() + 60_000).toISOString())}`,
    );
    expect(since.body.runs).toEqual([]);

    const cancelled = await call('POST', '/api/runs/cancel', { runIds: [...ids, 'missing-run'] });
    expect(cancelled.status).toBe(202);
    expect([...(cancelled.body.cancelled as string[])].sort()).toEqual([...ids].sort());
    expect(cancelled.body.skipped).toEqual([{ runId: 'missing-run', reason: 'no such run' }]);
  });

  it('cancels the runs a filter matches', async () => {
    const id = (
      await postJson(`${api.baseUrl}/api/runs`, {
        spec: { ...waitSpec('filtered'), description: 'zebra batch' },
      })
    ).body.runId;
    await waitUntil(async () => (await call('GET', '/api/runs?q=zebra')).body.runs.length === 1, {
      timeoutMs: 20_000,
      everyMs: 250,
    });
    const cancelled = await call('POST', '/api/runs/cancel', { filter: { q: 'zebra', status: 'running' } });
    expect(cancelled.body.cancelled).toEqual([id]);
    const run = await waitForRun(api, id, isClosed);
    expect(run.status).toBe('cancelled');
  });

  it('refuses bad list filters, cursors and batch bodies with the failing path', async () => {
    const status = await call('GET', '/api/runs?status=sleeping');
    expect(status.status).toBe(400);
    expect(status.body.errors[0].path).toBe('query.status');
    const limit = await call('GET', '/api/runs?limit=0');
    expect(limit.body.errors[0].path).toBe('query.limit');
    const cursor = await call('GET', '/api/runs?cursor=not%20a%20cursor');
    expect(cursor.body.errors[0].path).toBe('query.cursor');
    const batch = await call('POST', '/api/runs/cancel', { runIds: [] });
    expect(batch.status).toBe(400);
    const wait = await call('GET', '/api/runs/any-run/result?wait=500');
    expect(wait.body.errors[0].path).toBe('query.wait');
  });
});

describe('specs', () => {
  it('creates, lists, reads, updates, exports, imports and deletes a saved spec', async () => {
    const spec = waitSpec('library', '1s');
    expect((await call('POST', '/api/specs', { spec })).status).toBe(201);
    expect((await call('POST', '/api/specs', { spec })).status).toBe(409);
    const list = await call('GET', '/api/specs');
    expect((list.body.specs as { name: string }[]).map((entry) => entry.name)).toContain('library');
    expect((await call('GET', '/api/specs/library')).body.spec.name).toBe('library');
    const updated = await call('PUT', '/api/specs/library', { spec: { ...spec, description: 'changed' } });
    expect(updated.body.spec.description).toBe('changed');
    const exported = await call('GET', '/api/specs/library/export');
    expect(exported.type).toContain('application/yaml');
    expect(exported.body).toContain('description: changed');
    const imported = await fetch(`${api.baseUrl}/api/specs/import`, {
      method: 'POST',
      headers: { 'content-type': 'application/yaml' },
      body: String(exported.body).replace('changed', 'imported'),
    });
    expect(imported.status).toBe(200);
    expect((await call('GET', '/api/specs/library')).body.spec.description).toBe('imported');
    expect((await call('DELETE', '/api/specs/library')).status).toBe(204);
    expect((await call('GET', '/api/specs/library')).status).toBe(404);
  });

  it('validates a spec and names every problem by its path', async () => {
    const good = await call('POST', '/api/specs/validate', { spec: waitSpec('fine') });
    expect(good.body).toEqual({ valid: true, name: 'fine', inputs: [] });
    const bad = await call('POST', '/api/specs/validate', {
      spec: {
        name: 'bad',
        steps: [{ id: 'a', kind: 'wait', with: { duration: '1s' }, dependsOn: ['ghost'] }],
      },
    });
    expect(bad.status).toBe(400);
    expect(bad.type).toContain('application/problem+json');
    expect((bad.body.errors as { path: string }[]).map((error) => error.path)).toContain(
      'spec.steps[0].dependsOn[0]',
    );
    const renamed = await call('PUT', '/api/specs/other', { spec: waitSpec('fine') });
    expect(renamed.status).toBe(400);
    expect(renamed.body.errors[0].path).toBe('spec.name');
    const notYaml = await fetch(`${api.baseUrl}/api/specs/import`, {
      method: 'POST',
      headers: { 'content-type': 'application/yaml' },
      body: 'name: [',
    });
    expect(notYaml.status).toBe(400);
  });
});

describe('health, metrics, analytics and documentation', () => {
  it('answers readiness with a check for Temporal', async () => {
    const ready = await call('GET', '/readyz');
    expect(ready.status).toBe(200);
    expect(ready.body.checks.temporal).toEqual({ ok: true });
  });

  it('serves Prometheus metrics with request latency and runs by status', async () => {
    await call('GET', '/healthz');
    const metrics = await call('GET', '/metrics');
    expect(metrics.status).toBe(200);
    expect(metrics.body).toContain('troupe_http_request_duration_seconds_bucket');
    expect(metrics.body).toMatch(/troupe_runs\{status="completed"\} \d+/);
    expect(metrics.body).toMatch(/troupe_task_queue_pollers\{type="workflow"\} [1-9]/);
  });

  it('summarises runs per day and per status, and cost from an empty ledger', async () => {
    const runs = await call('GET', '/api/analytics/runs?days=3');
    expect(runs.status).toBe(200);
    expect(runs.body.byDay).toHaveLength(3);
    expect(runs.body.byStatus.completed).toBeGreaterThanOrEqual(1);
    const cost = await call('GET', '/api/analytics/cost?days=2');
    expect(cost.body.total).toEqual({ usd: 0, calls: 0, inputTokens: 0, outputTokens: 0 });
    expect((await call('GET', '/api/analytics/cost?days=400')).body.errors[0].path).toBe('query.days');
  });

  it('serves an OpenAPI 3.1 document covering every route, and the interactive page', async () => {
    const doc = await call('GET', '/api/openapi.json');
    expect(doc.body.openapi).toBe('3.1.0');
    for (const path of [
      '/healthz',
      '/readyz',
      '/metrics',
      '/api/models',
      '/api/blobs/{id}',
      '/api/runs',
      '/api/runs/{runId}/result',
      '/api/specs/{name}',
      '/api/schedules/{id}/backfill',
      '/api/analytics/cost',
    ]) {
      expect(Object.keys(doc.body.paths)).toContain(path);
    }
    const validation = await new Validator().validate(doc.body);
    expect(validation.errors ?? []).toEqual([]);
    expect(validation.valid).toBe(true);
    const page = await call('GET', '/api/docs');
    expect(page.body).toContain('swagger-ui-bundle.js');
    expect((await call('GET', '/api/docs/swagger-ui-bundle.js')).status).toBe(200);
  });

  it('answers what its OpenAPI document says, for reads, writes and errors', async () => {
    const doc = (await call('GET', '/api/openapi.json')).body;
    // The validator's own Ajv (8, draft 2020-12) checks bodies against the document's schemas.
    const requireFromValidator = createRequire(
      createRequire(import.meta.url).resolve('@seriousme/openapi-schema-validator'),
    );
    type Validate = ((data: unknown) => boolean) & { errors?: unknown };
    type Ajv = { compile: (schema: unknown) => Validate };
    const Ajv2020 = (requireFromValidator('ajv/dist/2020') as { default: new (options: object) => Ajv })
      .default;
    const ajv = new Ajv2020({ strict: false, allErrors: true });
    (requireFromValidator('ajv-formats') as { default: (ajv: Ajv) => void }).default(ajv);
    const started = await postJson(`${api.baseUrl}/api/runs`, { spec: waitSpec('documented', '1s') });
    await waitForRun(api, started.body.runId, isClosed);
    const samples: [string, string, string, unknown?][] = [
      ['get', '/api/runs', '/api/runs'],
      ['get', `/api/runs/${started.body.runId}`, '/api/runs/{runId}'],
      ['get', `/api/runs/${started.body.runId}/result`, '/api/runs/{runId}/result'],
      ['get', '/api/specs', '/api/specs'],
      ['get', '/api/schedules', '/api/schedules'],
      ['get', '/api/analytics/runs', '/api/analytics/runs'],
      ['get', '/api/analytics/cost', '/api/analytics/cost'],
      ['get', '/healthz', '/healthz'],
      ['get', '/readyz', '/readyz'],
      ['post', '/api/runs', '/api/runs', { spec: { name: 'x', steps: [] } }],
      ['post', '/api/specs/validate', '/api/specs/validate', { spec: waitSpec('ok') }],
      ['get', '/api/runs/nope-00000000', '/api/runs/{runId}'],
    ];
    for (const [method, url, path, body] of samples) {
      const answer = await call(method.toUpperCase(), url, body);
      const media = doc.paths[path][method].responses[String(answer.status)]?.content;
      expect(
        media,
        `${method} ${url} answered ${answer.status}, which the document does not list`,
      ).toBeDefined();
      const schema = media[answer.type.split(';')[0] ?? '']?.schema;
      expect(schema, `${method} ${url}: no schema for ${answer.type}`).toBeDefined();
      const validate = ajv.compile(schema);
      expect(validate(answer.body), `${method} ${url}: ${JSON.stringify(validate.errors)}`).toBe(true);
    }
  });

  it('answers problem+json without a stack for unknown routes and bad JSON', async () => {
    const missing = await call('GET', '/api/nothing');
    expect(missing.status).toBe(404);
    expect(missing.type).toContain('application/problem+json');
    const broken = await call('POST', '/api/runs', '{"spec":');
    expect(broken.status).toBe(400);
    expect(JSON.stringify(broken.body)).not.toMatch(/at .*\.ts:\d+/);
  });
});

const cli = fileURLToPath(new URL('../../bin/troupe', import.meta.url));
const failingSpec = fileURLToPath(new URL('failing-spec.yaml', import.meta.url));

/** Runs the `troupe` command the way a script would, and answers its exit code and output. */
function troupe(
  args: string[],
  env: Record<string, string> = {},
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [cli, ...args], {
      env: { ...process.env, TROUPE_API_URL: api.baseUrl, ...env },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.once('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('the API entry point', () => {
  it('starts the way `npm run api` starts it, with keys on, and answers /healthz and /metrics', async () => {
    const port = 20_000 + Math.floor(Math.random() * 20_000);
    const entry = fileURLToPath(new URL('../../src/api/main.ts', import.meta.url));
    const child = spawn(process.execPath, ['--import', 'tsx', entry], {
      env: {
        ...process.env,
        TEMPORAL_ADDRESS: env.address,
        ...testPayloadEnv,
        PORT: String(port),
        TROUPE_DATA_DIR: api.config.TROUPE_DATA_DIR,
      },
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    try {
      const deadline = Date.now() + 30_000;
      let status = 0;
      while (Date.now() < deadline && status !== 200) {
        status = await fetch(`http://127.0.0.1:${port}/healthz`).then(
          (response) => response.status,
          () => 0,
        );
        if (status !== 200) await new Promise((resolve) => setTimeout(resolve, 250));
      }
      expect(status).toBe(200);
      // Keys are on, as under npm start: the API made the local key in its data folder.
      expect((await fetch(`http://127.0.0.1:${port}/metrics`)).status).toBe(401);
      const key = (await readFile(join(api.config.TROUPE_DATA_DIR, 'local-key'), 'utf8')).trim();
      const metrics = await (
        await fetch(`http://127.0.0.1:${port}/metrics`, { headers: { authorization: `Bearer ${key}` } })
      ).text();
      expect(metrics).toContain('troupe_task_queue_pollers');
    } finally {
      child.kill('SIGTERM');
    }
  });
});

describe('the troupe CLI', () => {
  it('follows a run to its output and exits 0', async () => {
    const result = await troupe([
      'run',
      fileURLToPath(new URL('../../examples/hello.yaml', import.meta.url)),
      '--input',
      '{"name":"cli"}',
      '--follow',
    ]);
    expect(result.stderr).toContain('measure: completed');
    expect(result.stdout.trim()).toBe('Hello, cli! (11 characters)');
    expect(result.code).toBe(0);
  });

  it('exits 1 when the run fails, 2 for bad input and 3 when the API cannot be reached', async () => {
    expect((await troupe(['run', failingSpec, '--follow'])).code).toBe(1);
    const badInput = await troupe(['run', failingSpec, '--input', '[1]']);
    expect(badInput.code).toBe(2);
    expect(badInput.stderr).toContain('--input must be a JSON object');
    const invalid = await troupe(['spec', 'validate', cli]);
    expect(invalid.code).toBe(2);
    expect((await troupe(['show', 'no-such-run'])).code).toBe(2);
    expect((await troupe(['frobnicate'])).code).toBe(2);
    expect((await troupe(['list'], { TROUPE_API_URL: 'http://127.0.0.1:9' })).code).toBe(3);
  });

  it('lists runs, validates a spec and manages schedules', async () => {
    const list = await troupe(['list', '--limit', '5']);
    expect(list.code).toBe(0);
    expect(list.stdout).toMatch(/completed/);
    expect((await troupe(['spec', 'validate', failingSpec])).stdout).toContain('valid spec "failing"');
    await call('POST', '/api/specs', { spec: waitSpec('cli-scheduled', '1s') });
    expect(
      (await troupe(['schedule', 'create', 'cli-hourly', '--spec', 'cli-scheduled', '--every', '1h'])).code,
    ).toBe(0);
    expect((await troupe(['schedule', 'list'])).stdout).toContain('every 1h');
    expect((await troupe(['schedule', 'pause', 'cli-hourly'])).code).toBe(0);
    expect((await troupe(['schedule', 'trigger', 'cli-hourly'])).code).toBe(0);
    expect((await troupe(['schedule', 'delete', 'cli-hourly'])).code).toBe(0);
  });

  it('saves a spec file to the library, and replaces it only when asked', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'troupe-cli-'));
    const file = join(dir, 'saved.yaml');
    const save = async (duration: string, ...flags: string[]) => {
      await writeFile(file, stringify(waitSpec('cli-saved', duration)));
      return troupe(['spec', 'save', file, ...flags]);
    };
    // --replace with nothing to replace saves it, like a first save.
    expect((await save('1s', '--replace')).code).toBe(0);
    const again = await save('2s');
    expect(again.code).toBe(2);
    expect(again.stderr).toContain('a spec named "cli-saved" exists');
    expect((await save('3s', '--replace')).code).toBe(0);
    const saved = await call('GET', '/api/specs/cli-saved');
    expect(saved.body.spec.description).toBe('waits 3s for tests');
  });
});
