import type { RouteConfig } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';
import { RunSnapshot } from '../engine/run-snapshot';
import { EvaluationsQuery, EvaluationsResponse } from './evaluations-routes';
import { AnalyticsQuery, CostAnalytics, RunAnalytics, StepAnalytics } from './analytics-routes';
import { CodecRequest } from './codec-routes';
import {
  AgentPerformance,
  LearningCurveQuery,
  LearningCurveResponse,
  ModelPerformance,
} from './performance-analytics';
import { CreatedKey, CreateKeyRequest, KeyListResponse } from './keys-routes';
import { ListRunsQuery, RunListResponse } from './run-list';
import { IdempotencyKey } from './run-start';
import {
  AddStepsBody,
  BatchCancelRequest,
  BatchCancelResponse,
  CancelResponse,
  DecisionBody,
  ResultQuery,
  RunForecastResponse,
  RunResult,
  StartRunRequest,
  StartRunResponse,
} from './runs-routes';
import {
  BackfillRequest,
  CreateScheduleRequest,
  NoteRequest,
  ScheduleListResponse,
  ScheduleView,
  TriggerRequest,
  UpdateScheduleRequest,
} from './schedule-options';
import { SavedSpecResponse, SaveSpecRequest, SpecListResponse, ValidateSpecResponse } from './specs-routes';

export const Problem = z.object({
  type: z.string(),
  title: z.string(),
  status: z.number().int(),
  detail: z.string(),
  instance: z.string(),
  errors: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
});
/** How often `npm start`'s supervisor restarted each part (`worker:tools`, `api`, `temporal`); empty without it. */
const Restarts = z.record(z.string(), z.number().int().min(0));
export const HealthResponse = z.object({
  status: z.literal('ok'),
  temporal: z.literal('ok'),
  namespace: z.string(),
  restarts: Restarts,
});
export const ReadyResponse = z.object({
  status: z.enum(['ready', 'not-ready']),
  checks: z.record(z.string(), z.object({ ok: z.boolean(), detail: z.string().optional() })),
  restarts: Restarts,
});
const AgentsResponse = z.object({
  source: z.string(),
  queues: z.array(z.looseObject({ taskQueue: z.string() })),
  agents: z.array(
    z.looseObject({
      id: z.string(),
      description: z.string(),
      capabilities: z.array(z.string()),
      /** What `agent: auto` steps may ask of this agent in `needs`. */
      provides: z.array(z.string()),
      tools: z.array(z.string()),
      compensation: z.string(),
      status: z.looseObject({ state: z.enum(['busy', 'idle']) }),
    }),
  ),
});

export const UiConfigResponse = z.object({
  temporalUiUrl: z.string(),
  namespace: z.string(),
  simulated: z.literal(true).optional().meta({
    description:
      'Present and true under `npm run demo`: every model answer comes from the scripted model server',
  }),
});

const ModelsResponse = z.looseObject({
  catalogue: z.unknown(),
  defaultPolicy: z.unknown(),
  providers: z.array(z.record(z.string(), z.unknown())),
  models: z.array(z.record(z.string(), z.unknown())),
});

const json = <T extends z.ZodType>(schema: T, description: string) => ({
  description,
  content: { 'application/json': { schema } },
});
export const problem = (description: string) => ({
  description,
  content: { 'application/problem+json': { schema: Problem } },
});
const body = <T extends z.ZodType>(schema: T) => ({
  body: { content: { 'application/json': { schema } }, required: true },
});
const runParams = z.object({ runId: z.string() });
const nameParams = z.object({ name: z.string() });
const idParams = z.object({ id: z.string() });

export type RouteScope = 'read' | 'run' | 'admin' | 'none';

/** Every route the API serves, described from the same zod schemas that validate it. */
export function routes(): (RouteConfig & { scope: RouteScope })[] {
  const ok = (schema: z.ZodType, description = 'OK') => ({ 200: json(schema, description) });
  const accepted = (schema: z.ZodType) => ({ 202: json(schema, 'Accepted') });
  const noContent = { 204: { description: 'Deleted' } };
  return [
    {
      method: 'get',
      path: '/healthz',
      scope: 'none',
      summary: 'Liveness: the API and Temporal are up',
      responses: { ...ok(HealthResponse), 503: problem('Temporal is unreachable') },
    },
    {
      method: 'get',
      path: '/readyz',
      scope: 'none',
      summary: 'Readiness: Temporal and the model providers',
      responses: { ...ok(ReadyResponse), 503: json(ReadyResponse, 'Not ready') },
    },
    {
      method: 'get',
      path: '/metrics',
      scope: 'read',
      summary: 'Prometheus metrics',
      responses: {
        200: { description: 'Prometheus text format', content: { 'text/plain': { schema: z.string() } } },
      },
    },
    {
      method: 'get',
      path: '/api/openapi.json',
      scope: 'none',
      summary: 'This document',
      responses: {
        200: {
          description: 'OpenAPI 3.1',
          content: { 'application/json': { schema: z.record(z.string(), z.unknown()) } },
        },
      },
    },
    {
      method: 'get',
      path: '/api/docs',
      scope: 'none',
      summary: 'Interactive API documentation',
      responses: { 200: { description: 'HTML page', content: { 'text/html': { schema: z.string() } } } },
    },
    {
      method: 'get',
      path: '/api/ui-config',
      scope: 'read',
      summary:
        "What the console needs: Temporal Web's address, the namespace, and whether models are simulated",
      responses: ok(UiConfigResponse),
    },
    {
      method: 'post',
      path: '/api/runs',
      scope: 'run',
      summary: 'Start a run from a spec, a saved spec or a goal',
      description:
        'Idempotent with an `Idempotency-Key` header or a `runId` in the body: a retry of the same request ' +
        '(same key or runId, same body) answers 200 with the run the first one started, instead of starting ' +
        'another, whether that run is still running or has closed. The same key or runId with a different ' +
        'body is refused with 422. Without either, every request starts a new run.',
      request: {
        ...body(StartRunRequest),
        headers: z.object({
          'Idempotency-Key': IdempotencyKey.optional().describe(
            'A name for this request (e.g. a UUID). Sending it again with the same body returns the run it started.',
          ),
        }),
      },
      responses: {
        201: json(StartRunResponse, 'Started'),
        200: json(StartRunResponse, 'A retry: the run this Idempotency-Key or runId already started'),
        400: problem('Invalid request, spec or input'),
        404: problem('No such saved spec'),
        409: problem('The runId names a workflow that is not a Troupe run'),
        422: problem('The Idempotency-Key or runId already started a run from a different request'),
      },
    },
    {
      method: 'get',
      path: '/api/runs',
      scope: 'read',
      summary: 'List runs, newest first',
      request: { query: ListRunsQuery },
      responses: { ...ok(RunListResponse), 400: problem('Invalid filter') },
    },
    {
      method: 'post',
      path: '/api/runs/cancel',
      scope: 'run',
      summary: 'Cancel many runs, by id or by filter (at most 500)',
      request: body(BatchCancelRequest),
      responses: { ...accepted(BatchCancelResponse), 400: problem('Invalid request') },
    },
    {
      method: 'get',
      path: '/api/runs/{runId}',
      scope: 'read',
      summary: "A run's full state",
      request: { params: runParams },
      responses: { ...ok(RunSnapshot), 404: problem('No such run') },
    },
    {
      method: 'get',
      path: '/api/runs/{runId}/forecast',
      scope: 'read',
      summary:
        "The run's predicted success, cost and duration, with confidence and the risk step, from the outcome records now",
      request: { params: runParams },
      responses: { ...ok(RunForecastResponse), 404: problem('No such run') },
    },
    {
      method: 'get',
      path: '/api/runs/{runId}/result',
      scope: 'read',
      summary: "A run's result: 200 once closed, 202 while running (wait up to `wait` seconds)",
      request: { params: runParams, query: ResultQuery },
      responses: { ...ok(RunResult, 'Closed'), ...accepted(RunResult), 404: problem('No such run') },
    },
    ...(['pause', 'resume'] as const).map((verb) => ({
      method: 'post' as const,
      path: `/api/runs/{runId}/${verb}`,
      scope: 'run' as const,
      summary: `${verb[0]?.toUpperCase()}${verb.slice(1)} a run`,
      request: { params: runParams },
      responses: {
        ...ok(RunSnapshot),
        404: problem('No such run'),
        409: problem('The run cannot do that now'),
      },
    })),
    {
      method: 'post',
      path: '/api/runs/{runId}/cancel',
      scope: 'run',
      summary: 'Cancel a run (compensations run)',
      request: { params: runParams },
      responses: {
        ...accepted(CancelResponse),
        404: problem('No such run'),
        409: problem('The run has ended'),
      },
    },
    ...(['approve', 'reject'] as const).map((verb) => ({
      method: 'post' as const,
      path: `/api/runs/{runId}/${verb}`,
      scope: 'run' as const,
      summary: `${verb[0]?.toUpperCase()}${verb.slice(1)} a waiting approval step`,
      request: { params: runParams, ...body(DecisionBody) },
      responses: {
        ...ok(RunSnapshot),
        400: problem('Invalid body'),
        404: problem('No such run'),
        409: problem('The step is not waiting'),
      },
    })),
    {
      method: 'post',
      path: '/api/runs/{runId}/steps',
      scope: 'run',
      summary: 'Add steps or replace unstarted ones',
      request: { params: runParams, ...body(AddStepsBody) },
      responses: { ...ok(RunSnapshot), 400: problem('Invalid steps'), 409: problem('The run is ending') },
    },
    {
      method: 'get',
      path: '/api/specs',
      scope: 'read',
      summary: 'The saved spec library',
      responses: ok(SpecListResponse),
    },
    {
      method: 'post',
      path: '/api/specs',
      scope: 'run',
      summary: 'Save a new spec',
      request: body(SaveSpecRequest),
      responses: {
        201: json(SavedSpecResponse, 'Saved'),
        400: problem('Invalid spec'),
        409: problem('The name is taken'),
      },
    },
    {
      method: 'post',
      path: '/api/specs/validate',
      scope: 'read',
      summary: 'Validate a spec without saving it',
      request: body(SaveSpecRequest),
      responses: { ...ok(ValidateSpecResponse), 400: problem('Invalid spec, every problem with its path') },
    },
    {
      method: 'post',
      path: '/api/specs/import',
      scope: 'run',
      summary: 'Save a spec from YAML text (creates or replaces)',
      request: { body: { content: { 'application/yaml': { schema: z.string() } }, required: true } },
      responses: {
        ...ok(SavedSpecResponse, 'Replaced'),
        201: json(SavedSpecResponse, 'Created'),
        400: problem('Invalid spec'),
        415: problem('Not YAML text'),
      },
    },
    {
      method: 'get',
      path: '/api/specs/{name}',
      scope: 'read',
      summary: 'A saved spec',
      request: { params: nameParams },
      responses: { ...ok(SavedSpecResponse), 404: problem('No such spec') },
    },
    {
      method: 'get',
      path: '/api/specs/{name}/export',
      scope: 'read',
      summary: 'A saved spec as YAML',
      request: { params: nameParams },
      responses: {
        200: { description: 'YAML', content: { 'application/yaml': { schema: z.string() } } },
        404: problem('No such spec'),
      },
    },
    {
      method: 'put',
      path: '/api/specs/{name}',
      scope: 'run',
      summary: 'Replace a saved spec',
      request: { params: nameParams, ...body(SaveSpecRequest) },
      responses: { ...ok(SavedSpecResponse), 400: problem('Invalid spec'), 404: problem('No such spec') },
    },
    {
      method: 'delete',
      path: '/api/specs/{name}',
      scope: 'run',
      summary: 'Delete a saved spec',
      request: { params: nameParams },
      responses: { ...noContent, 404: problem('No such spec') },
    },
    {
      method: 'get',
      path: '/api/schedules',
      scope: 'read',
      summary: "Troupe's schedules",
      responses: ok(ScheduleListResponse),
    },
    {
      method: 'post',
      path: '/api/schedules',
      scope: 'admin',
      summary: 'Schedule a saved spec (cron or interval)',
      request: body(CreateScheduleRequest),
      responses: {
        201: json(ScheduleView, 'Created'),
        400: problem('Invalid request'),
        404: problem('No such spec'),
        409: problem('The id is taken'),
      },
    },
    {
      method: 'get',
      path: '/api/schedules/{id}',
      scope: 'read',
      summary: 'A schedule with its next and recent runs',
      request: { params: idParams },
      responses: { ...ok(ScheduleView), 404: problem('No such schedule') },
    },
    {
      method: 'put',
      path: '/api/schedules/{id}',
      scope: 'admin',
      summary: 'Change a schedule',
      request: { params: idParams, ...body(UpdateScheduleRequest) },
      responses: {
        ...ok(ScheduleView),
        400: problem('Invalid request'),
        404: problem('No such schedule or spec'),
      },
    },
    ...(['pause', 'unpause'] as const).map((verb) => ({
      method: 'post' as const,
      path: `/api/schedules/{id}/${verb}`,
      scope: 'admin' as const,
      summary: `${verb[0]?.toUpperCase()}${verb.slice(1)} a schedule`,
      request: { params: idParams, body: { content: { 'application/json': { schema: NoteRequest } } } },
      responses: { ...ok(ScheduleView), 404: problem('No such schedule') },
    })),
    {
      method: 'post',
      path: '/api/schedules/{id}/trigger',
      scope: 'admin',
      summary: 'Start a run now',
      request: {
        params: idParams,
        body: { required: false, content: { 'application/json': { schema: TriggerRequest } } },
      },
      responses: {
        ...accepted(z.object({ id: z.string(), triggered: z.literal(true), overlap: z.string() })),
        404: problem('No such schedule'),
      },
    },
    {
      method: 'post',
      path: '/api/schedules/{id}/backfill',
      scope: 'admin',
      summary: 'Run the actions a time range would have taken',
      request: { params: idParams, ...body(BackfillRequest) },
      responses: {
        ...accepted(
          z.object({ id: z.string(), backfilled: z.object({ start: z.string(), end: z.string() }) }),
        ),
        400: problem('Invalid range'),
        404: problem('No such schedule'),
      },
    },
    {
      method: 'delete',
      path: '/api/schedules/{id}',
      scope: 'admin',
      summary: 'Delete a schedule (its runs stay)',
      request: { params: idParams },
      responses: { ...noContent, 404: problem('No such schedule') },
    },
    {
      method: 'get',
      path: '/api/analytics/runs',
      scope: 'read',
      summary: 'Runs per day and per status',
      request: { query: AnalyticsQuery },
      responses: { ...ok(RunAnalytics), 400: problem('Invalid query') },
    },
    {
      method: 'get',
      path: '/api/analytics/cost',
      scope: 'read',
      summary: 'Model spend per day, model and agent',
      request: { query: AnalyticsQuery },
      responses: { ...ok(CostAnalytics), 400: problem('Invalid query') },
    },
    {
      method: 'get',
      path: '/api/analytics/steps',
      scope: 'read',
      summary: 'p50 and p95 step duration per agent',
      request: { query: AnalyticsQuery },
      responses: { ...ok(StepAnalytics), 400: problem('Invalid query') },
    },
    {
      method: 'get',
      path: '/api/analytics/agents',
      scope: 'read',
      summary:
        'Per agent, from the outcome records: success rate, mean score, p50/p95 duration, cost per success, local share, and each per day',
      request: { query: AnalyticsQuery },
      responses: { ...ok(AgentPerformance), 400: problem('Invalid query') },
    },
    {
      method: 'get',
      path: '/api/analytics/models',
      scope: 'read',
      summary: 'The same per model, with whether the catalogue says it is local',
      request: { query: AnalyticsQuery },
      responses: { ...ok(ModelPerformance), 400: problem('Invalid query') },
    },
    {
      method: 'get',
      path: '/api/analytics/learning',
      scope: 'read',
      summary:
        'The learning curve of agent: auto: the share of choices that were optimal in hindsight, per day and per window of choices',
      request: { query: LearningCurveQuery },
      responses: { ...ok(LearningCurveResponse), 400: problem('Invalid query') },
    },
    {
      method: 'get',
      path: '/api/evaluations',
      scope: 'read',
      summary: 'Run grades against their spec baselines, regressions, agent baselines and recommendations',
      request: { query: EvaluationsQuery },
      responses: { ...ok(EvaluationsResponse), 400: problem('Invalid query') },
    },
    {
      method: 'get',
      path: '/api/models',
      scope: 'read',
      summary: 'Models with provider health and breakers',
      request: { query: z.object({ refresh: z.enum(['true', 'false']).optional() }) },
      responses: { ...ok(ModelsResponse), 400: problem('Invalid query') },
    },
    {
      method: 'get',
      path: '/api/agents',
      scope: 'read',
      summary: 'The registered agents with live status, and the depth of the queues they run on',
      responses: ok(AgentsResponse),
    },
    {
      method: 'get',
      path: '/api/blobs/{id}',
      scope: 'read',
      summary: 'A large output moved to the blob store',
      request: { params: z.object({ id: z.string().regex(/^sha256:[0-9a-f]{64}$/) }) },
      responses: {
        200: { description: 'The blob', content: { 'text/plain': { schema: z.string() } } },
        404: problem('No such blob'),
      },
    },
    ...(['decode', 'encode'] as const).map((direction) => ({
      method: 'post' as const,
      path: `/api/codec/${direction}`,
      scope: direction === 'decode' ? ('read' as const) : ('run' as const),
      summary:
        direction === 'decode'
          ? 'Temporal remote codec: payloads of a history in clear (Temporal Web, `temporal --codec-endpoint`)'
          : 'Temporal remote codec: encrypt payloads typed in Temporal Web (signals, resets)',
      description:
        "Temporal's remote codec protocol: payloads as proto3 JSON, bytes in base64. Answers CORS, with " +
        "credentials, for Temporal Web's origin only; the UI's session cookie counts as a key.",
      request: body(CodecRequest),
      responses: {
        ...ok(CodecRequest, 'The payloads, in the same order'),
        400: problem('Not a list of payloads'),
        422: problem(`The payloads cannot be ${direction}d (unknown key id, tampered data)`),
      },
    })),
    {
      method: 'get',
      path: '/api/keys',
      scope: 'admin',
      summary: 'API keys (without the keys)',
      responses: ok(KeyListResponse),
    },
    {
      method: 'post',
      path: '/api/keys',
      scope: 'admin',
      summary: 'Make an API key; the answer is the only time it is shown',
      request: body(CreateKeyRequest),
      responses: { 201: json(CreatedKey, 'Created'), 400: problem('Invalid request') },
    },
    {
      method: 'delete',
      path: '/api/keys/{id}',
      scope: 'admin',
      summary: 'Revoke an API key',
      request: { params: idParams },
      responses: { ...noContent, 404: problem('No such key') },
    },
  ];
}
