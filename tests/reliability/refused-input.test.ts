import type { AddressInfo } from 'node:net';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import express from 'express';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { logger } from '../../src/observability/logger';
import { problemHandler } from '../../src/api/http-error';
import { routes } from '../../src/api/openapi-paths';
import { DataLimits } from '../../src/engine/untrusted-data';
import { postJson, readExample, startApi, type Api } from '../helpers/harness';
import { startTestTemporal } from '../helpers/temporal';

let env: TestWorkflowEnvironment;
let api: Api;

beforeAll(async () => {
  env = await startTestTemporal();
  api = await startApi(env, 'refused input');
});

afterAll(async () => {
  await api?.close();
  await env?.teardown();
});

/** No worker polls this file's queue, so any run the API started is still listed. */
async function startedRuns(): Promise<number> {
  const { count } = await env.client.workflow.count(`TaskQueue = '${api.config.TROUPE_TASK_QUEUE}'`);
  return count;
}

/** Nine levels of nine aliases each: 9^9 "lol"s once expanded. */
const billionLaughs = [
  'name: lol',
  'lol0: &lol0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]',
  ...Array.from({ length: 8 }, (_, level) => {
    const items = Array<string>(9).fill(`*lol${level}`).join(',');
    return `lol${level + 1}: &lol${level + 1} [${items}]`;
  }),
  'steps: [{id: a, kind: tool, tool: noop, with: {x: *lol8}}]',
].join('\n');

type Problem = { status: number; detail: string; errors?: { path: string; message: string }[] };

function expectProblem(response: { status: number; type: string; body: unknown }, status = 400): Problem {
  expect(response.type).toContain('application/problem+json');
  expect(response.status).toBe(status);
  return response.body as Problem;
}

describe('YAML limits', () => {
  it('refuses a billion-laughs spec on POST /api/runs with a 400 naming the alias limit', async () => {
    const problem = expectProblem(await postJson(`${api.baseUrl}/api/runs`, { spec: billionLaughs }));
    expect(problem.errors).toEqual([
      {
        path: 'spec',
        message: expect.stringContaining(`more than ${DataLimits.yamlAliases} times, the limit`),
      },
    ]);
    expect(await startedRuns()).toBe(0);
  });

  it('refuses a billion-laughs spec on POST /api/specs/import', async () => {
    const response = await fetch(`${api.baseUrl}/api/specs/import`, {
      method: 'POST',
      headers: { 'content-type': 'application/yaml' },
      body: billionLaughs,
    });
    const problem = expectProblem({
      status: response.status,
      type: response.headers.get('content-type') ?? '',
      body: await response.json(),
    });
    expect(problem.detail).toContain('aliases');
    expect((await fetch(`${api.baseUrl}/api/specs/lol`)).status).toBe(404);
  });

  it('refuses YAML nested deeper than the limit', async () => {
    const spec = `${(await readExample('hello.yaml')).trimEnd()}\ndescription: ${'['.repeat(300)}${']'.repeat(300)}\n`;
    const problem = expectProblem(await postJson(`${api.baseUrl}/api/runs`, { spec }));
    expect(problem.errors?.[0]?.message).toContain(`more than ${DataLimits.yamlNestingBound} levels deep`);
  });
});

describe('bad percent-encoding', () => {
  const paramRoutes = routes().filter((route) => route.path.includes('{'));

  it('answers 400 on every route with a path parameter', async () => {
    expect(paramRoutes.length).toBeGreaterThan(15);
    for (const route of paramRoutes) {
      const url = `${api.baseUrl}${route.path.replace(/\{[^}]+\}/g, '%ff%fe')}`;
      const response = await fetch(url, {
        method: route.method.toUpperCase(),
        ...(route.method !== 'get' && { headers: { 'content-type': 'application/json' }, body: '{}' }),
      });
      expect({ route: `${route.method} ${route.path}`, status: response.status }).toEqual({
        route: `${route.method} ${route.path}`,
        status: 400,
      });
      const problem = (await response.json()) as Problem;
      expect(problem.detail).toMatch(/^the URL has bad percent-encoding/);
    }
  });
});

describe('keys that reach prototypes', () => {
  it('refuses __proto__ in a step of a JSON body, naming its path', async () => {
    const body = `{"spec": {"name": "x", "steps": [{"id": "a", "kind": "tool", "tool": "noop",
      "with": {"__proto__": {"polluted": true}}}]}}`;
    const problem = expectProblem(await postJson(`${api.baseUrl}/api/runs`, body));
    expect(problem.errors).toEqual([
      {
        path: 'spec.steps[0].with.__proto__',
        message: expect.stringContaining('"__proto__" is not allowed'),
      },
    ]);
    expect(await startedRuns()).toBe(0);
  });

  it('refuses constructor and prototype keys anywhere, each with its path', async () => {
    const problem = expectProblem(
      await postJson(
        `${api.baseUrl}/api/runs`,
        '{"specName": "hello", "input": {"constructor": 1, "list": [{"prototype": {}}]}}',
      ),
    );
    expect(problem.errors?.map((error) => error.path)).toEqual([
      'input.constructor',
      'input.list[0].prototype',
    ]);
  });

  it('refuses __proto__ in a YAML spec, naming its path under spec', async () => {
    const spec =
      'name: x\nsteps:\n  - id: a\n    kind: tool\n    tool: noop\n    with:\n      __proto__: 1\n';
    const problem = expectProblem(await postJson(`${api.baseUrl}/api/specs`, { spec }));
    expect(problem.errors?.map((error) => error.path)).toEqual(['spec.steps[0].with.__proto__']);
  });

  it('refuses bodies nested deeper than the limit', async () => {
    const input = `${'{"a":'.repeat(100)}1${'}'.repeat(100)}`;
    const problem = expectProblem(
      await postJson(`${api.baseUrl}/api/runs`, `{"specName": "x", "input": ${input}}`),
    );
    expect(problem.detail).toContain(`deeper than ${DataLimits.depth} levels`);
  });
});

describe('error answers', () => {
  it('answers a missing blob without naming a server path', async () => {
    const response = await fetch(`${api.baseUrl}/api/blobs/sha256:${'0'.repeat(64)}`);
    expect(response.status).toBe(404);
    const text = await response.text();
    expect(text).not.toContain(api.config.TROUPE_DATA_DIR);
    expect(text).not.toMatch(/\/(tmp|home|root|work)\//);
  });

  it('logs a failed request with its path as data, never as a format string', async () => {
    const app = express();
    app.use(() => {
      throw new Error('the real cause');
    });
    app.use(problemHandler);
    const server = app.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    const logged: unknown[][] = [];
    const spy = vi.spyOn(logger(), 'error').mockImplementation((...args: unknown[]) => {
      logged.push(args);
    });
    try {
      const { port } = server.address() as AddressInfo;
      const response = await fetch(`http://127.0.0.1:${port}/x%o%s%d`);
      expect(response.status).toBe(500);
      expect(await response.text()).not.toContain('the real cause');
    } finally {
      spy.mockRestore();
      server.close();
    }
    // One JSON line: the path and the cause as fields, the message fixed.
    expect(logged).toHaveLength(1);
    const [fields, message] = logged[0] as [{ method: string; path: string; err: Error }, string];
    expect(message).toBe('request failed');
    expect(fields).toMatchObject({ method: 'GET', path: '/x%o%s%d' });
    expect(fields.err.message).toBe('the real cause');
  });
});
