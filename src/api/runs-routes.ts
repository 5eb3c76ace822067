import type { Client } from '@temporalio/client';
import { Router } from 'express';
import { z } from 'zod';
import { goalSpec, GoalRequest } from '../engine/plan';
import { RunInput, type Spec } from '../engine/spec';
import { RunForecast, type RunProgress } from '../learning/run-forecast';
import { specContextOf, type AgentRegistry } from '../agents/registry';
import { fromZodIssue, parseSpec } from '../engine/spec-validation';
import { runUrl, type Config } from '../config';
import type { runWorkflow } from '../workflows/run-workflow';
import { HttpError, invalidRequest } from './http-error';
import { parseRequest } from './request-parsing';
// req.apiKey: the Request augmentation lives in auth.ts, which the UI's type check reaches only through here.
import type {} from './auth';
import { controlRun } from './run-control';
import { cachedRunLister, ListRunsQuery, RunFilter, runIdsMatching } from './run-list';
import { readRun } from './run-reader';
import {
  ClientRunId,
  IdempotencyKey,
  idempotentRunId,
  newRunId,
  requestFingerprint,
  resolveRunInput,
  runStartOptions,
  startFailure,
  startRunOnce,
  type StartedRun,
} from './run-start';
import { readRunSpec } from './run-spec';
import { SpecName, type SpecStore } from './spec-store';
import { addStepsUpdate, decideUpdate, pauseUpdate, resumeUpdate } from '../workflows/run-messages';

/** Every way to start: `runId` makes a retry of the request return the run it started (as Idempotency-Key). */
const startFields = {
  input: RunInput.default({}),
  runId: ClientRunId.optional().describe(
    'The run id to use: a retry with the same body returns this run instead of starting another',
  ),
};
export const StartRunRequest = z.union([
  z.strictObject({
    spec: z.union([z.string(), z.record(z.string(), z.unknown())], {
      error: 'spec must be a spec object or YAML/JSON text',
    }),
    ...startFields,
  }),
  z.strictObject({ specName: SpecName, ...startFields }),
  GoalRequest.extend(startFields),
]);
export const StartRunHeaders = z.object({
  'idempotency-key': IdempotencyKey.optional().describe(
    'A name for this request: sending it again (same key, same body) returns the run it started',
  ),
});
export type StartRunRequest = z.infer<typeof StartRunRequest>;
export const StartRunResponse = z.object({
  runId: z.string(),
  temporalUrl: z.url(),
  /** The run's chance of success, cost and duration, from the outcome records of earlier runs. */
  prediction: RunForecast.optional(),
});
export type StartRunResponse = z.infer<typeof StartRunResponse>;

/** GET /api/runs/:runId/forecast: the start's forecast, made again from today's records and the run's progress. */
export const RunForecastResponse = z.object({
  runId: z.string(),
  /** Absent when the outcome records cannot be read. */
  prediction: RunForecast.optional(),
});
export type RunForecastResponse = z.infer<typeof RunForecastResponse>;

export const RunIdParam = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.:-]{0,199}$/, 'not a run id');

export const DecisionBody = z.strictObject({
  stepId: z.string().min(1),
  comment: z.string().max(4000).optional(),
});
export const AddStepsBody = z.strictObject({ steps: z.array(z.unknown()).min(1, 'send at least one step') });

export const ResultQuery = z.strictObject({ wait: z.coerce.number().int().min(0).max(60).default(0) });
export const RunResult = z.object({
  runId: z.string(),
  status: z.string(),
  output: z.unknown().optional(),
  error: z.string().optional(),
});

export const BatchCancelRequest = z.union([
  z.strictObject({ runIds: z.array(RunIdParam).min(1).max(500) }),
  z.strictObject({ filter: RunFilter }),
]);
export const BatchCancelResponse = z.object({
  cancelled: z.array(z.string()),
  skipped: z.array(z.object({ runId: z.string(), reason: z.string() })),
});
export const CancelResponse = z.object({ runId: z.string(), status: z.literal('cancelling') });

const BATCH_MAX = 500;
const closedStatuses = new Set(['completed', 'failed', 'cancelled']);

function runIdOf(value: string): string {
  const runId = RunIdParam.safeParse(value);
  if (!runId.success) throw new HttpError(404, { message: `no run with id "${value}"` });
  return runId.data;
}

/** Runs: start (from a spec or a saved spec), list, read, wait for a result, and control. */
export function runsRoutes({
  client,
  config,
  specs,
  listCacheMs = 1000,
  agents,
  forecast,
}: {
  client: Client;
  config: Config;
  specs: SpecStore;
  listCacheMs?: number;
  /** With the registry, a spec that names an unknown agent is refused before any run starts. */
  agents?: AgentRegistry;
  /** Forecasts a run from earlier outcomes; its answer goes back with the start. */
  forecast?: (spec: Spec, progress?: RunProgress) => Promise<RunForecast | undefined>;
}): Router {
  const context = agents ? specContextOf(agents) : {};
  const router = Router();
  const list = cachedRunLister(client, config.TEMPORAL_NAMESPACE, listCacheMs);

  router.post('/', async (req, res) => {
    if (req.body === undefined) {
      throw new HttpError(415, {
        message: 'send the request body as JSON with Content-Type: application/json',
      });
    }
    const request = StartRunRequest.safeParse(req.body);
    const body = req.body as { spec?: unknown; specName?: unknown; goal?: unknown };
    const specSource = body.spec;
    let parsed =
      typeof specSource === 'string' || isObject(specSource) ? parseSpec(specSource, context) : undefined;
    if (request.success && 'specName' in request.data) {
      parsed = { ok: true, spec: (await specs.get(request.data.specName)).spec };
    }
    if (request.success && 'goal' in request.data) {
      if (!agents?.agents.has('planner'))
        throw new HttpError(503, {
          message: 'this API has no planner agent in its registry, so it cannot plan a goal',
        });
      parsed = parseSpec(goalSpec(request.data, agents.agents.keys()), context);
    }
    const issues = [
      ...(request.success ? [] : unionIssues(request.error.issues, body)),
      ...(parsed && !parsed.ok
        ? parsed.issues.map((issue) => ({ ...issue, path: ['spec', ...issue.path] }))
        : []),
    ];
    if (!request.success || !parsed?.ok) throw invalidRequest(issues);

    const { spec } = parsed;
    const input = resolveRunInput(spec, request.data.input);
    const { 'idempotency-key': key } = parseRequest(StartRunHeaders, req.headers, 'headers');
    const chosen = request.data.runId ?? (key && idempotentRunId(key, req.apiKey?.id));
    const planned = chosen || newRunId(spec);
    const { workflowType: _type, ...options } = runStartOptions(config, spec, input, planned);
    // Forecast while the start goes to Temporal; a forecast never holds a start back or fails it.
    const forecasting = forecast?.(spec).catch(() => undefined);
    let started: StartedRun = { runId: planned, created: true };
    if (chosen) {
      const what = request.data.runId ? `runId "${chosen}"` : 'this Idempotency-Key';
      const fingerprint = requestFingerprint(req.body);
      const namespace = config.TEMPORAL_NAMESPACE;
      started = await startRunOnce(client, options, { runId: chosen, fingerprint, what, namespace });
    } else {
      await client.workflow
        .start<typeof runWorkflow>('runWorkflow', { ...options, workflowId: planned })
        .catch((err: unknown) => {
          throw startFailure(err, config.TEMPORAL_NAMESPACE);
        });
    }
    const { runId } = started;
    const prediction = await forecasting;
    res
      .status(started.created ? 201 : 200)
      .location(`${req.baseUrl}/${runId}`)
      .json({
        runId,
        temporalUrl: runUrl(config, runId),
        ...(prediction && { prediction }),
      } satisfies StartRunResponse);
  });

  router.get('/', async (req, res) => {
    const query = parseRequest(ListRunsQuery, req.query, 'query');
    res.json(await list(query));
  });

  router.post('/cancel', async (req, res) => {
    const body = parseRequest(BatchCancelRequest, req.body ?? {});
    const ids =
      'runIds' in body
        ? [...new Set(body.runIds)]
        : await runIdsMatching(client, config.TEMPORAL_NAMESPACE, body.filter, BATCH_MAX);
    const outcomes = await Promise.all(
      ids.map(async (runId) => {
        try {
          const handle = client.workflow.getHandle(runId);
          const { status, type } = await handle.describe();
          if (type !== 'runWorkflow') return { runId, reason: 'not a Troupe run' };
          if (status.name !== 'RUNNING') return { runId, reason: `has ended (${status.name.toLowerCase()})` };
          await handle.cancel();
          return { runId };
        } catch (err) {
          return {
            runId,
            reason: (err as Error).name === 'WorkflowNotFoundError' ? 'no such run' : (err as Error).message,
          };
        }
      }),
    );
    res.status(202).json({
      cancelled: outcomes.filter((outcome) => !('reason' in outcome)).map((outcome) => outcome.runId),
      skipped: outcomes.filter(
        (outcome): outcome is { runId: string; reason: string } => 'reason' in outcome,
      ),
    });
  });

  router.get('/:runId', async (req, res) => {
    res.json(await readRun(client, runIdOf(req.params.runId)));
  });

  router.get('/:runId/spec', async (req, res) => {
    res.json(await readRunSpec(client, config, runIdOf(req.params.runId), { withInput: true }));
  });

  router.get('/:runId/forecast', async (req, res) => {
    const runId = runIdOf(req.params.runId);
    const { spec } = await readRunSpec(client, config, runId);
    // Made again from what the run has done so far; a run no worker can answer for is forecast as at its start.
    const run = await readRun(client, runId).catch(() => undefined);
    const progress = run && {
      steps: run.steps,
      spentUsd: run.costUsd,
      elapsedMs: Math.max(0, Date.parse(run.endedAt ?? new Date().toISOString()) - Date.parse(run.startedAt)),
    };
    const prediction = await forecast?.(spec, progress).catch(() => undefined);
    res.json({ runId, ...(prediction && { prediction }) } satisfies RunForecastResponse);
  });

  router.get('/:runId/result', async (req, res) => {
    const runId = runIdOf(req.params.runId);
    const { wait } = parseRequest(ResultQuery, req.query, 'query');
    let run = await readRun(client, runId);
    if (!closedStatuses.has(run.status) && wait > 0) {
      const closed = client.workflow
        .getHandle(runId)
        .result()
        .then(
          () => undefined,
          () => undefined,
        );
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([closed, new Promise((resolve) => (timer = setTimeout(resolve, wait * 1000)))]);
      clearTimeout(timer);
      run = await readRun(client, runId);
    }
    const done = closedStatuses.has(run.status);
    res.status(done ? 200 : 202).json({
      runId,
      status: run.status,
      ...(done && run.output !== undefined && { output: run.output }),
      ...(run.error && { error: run.error }),
    });
  });

  router.post('/:runId/pause', async (req, res) => {
    res.json(
      await controlRun(client, runIdOf(req.params.runId), (handle) => handle.executeUpdate(pauseUpdate)),
    );
  });

  router.post('/:runId/resume', async (req, res) => {
    res.json(
      await controlRun(client, runIdOf(req.params.runId), (handle) => handle.executeUpdate(resumeUpdate)),
    );
  });

  router.post('/:runId/cancel', async (req, res) => {
    const runId = runIdOf(req.params.runId);
    await controlRun(client, runId, async (handle) => {
      const { status } = await handle.describe();
      if (status.name !== 'RUNNING') {
        throw new HttpError(409, {
          message: `run "${runId}" has ended (${status.name.toLowerCase()}); it can no longer be cancelled`,
        });
      }
      await handle.cancel();
    });
    res.status(202).json({ runId, status: 'cancelling' });
  });

  for (const [path, approved] of [
    ['approve', true],
    ['reject', false],
  ] as const) {
    router.post(`/:runId/${path}`, async (req, res) => {
      const runId = runIdOf(req.params.runId);
      const decision = { ...parseRequest(DecisionBody, req.body ?? {}), approved };
      res.json(
        await controlRun(client, runId, (handle) => handle.executeUpdate(decideUpdate, { args: [decision] })),
      );
    });
  }

  router.post('/:runId/steps', async (req, res) => {
    const runId = runIdOf(req.params.runId);
    const body = parseRequest(AddStepsBody, req.body ?? {});
    res.json(
      await controlRun(client, runId, (handle) => handle.executeUpdate(addStepsUpdate, { args: [body] })),
    );
  });

  return router;
}

/** Issues of the start-request union, reported against the branch the body was aiming for. */
function unionIssues(
  issues: z.core.$ZodIssue[],
  body: { spec?: unknown; specName?: unknown; goal?: unknown },
) {
  const branch = 'spec' in body ? 0 : 'specName' in body ? 1 : 'goal' in body ? 2 : 0;
  const chosen = issues.flatMap((issue) =>
    issue.code === 'invalid_union' && issue.errors[branch] ? issue.errors[branch] : [issue],
  );
  return chosen.flatMap(fromZodIssue);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
