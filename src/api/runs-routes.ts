import { randomUUID } from 'node:crypto';
import type { Client } from '@temporalio/client';
import { Router } from 'express';
import { z } from 'zod';
import { TroupeAgents, TroupeCost, TroupeGoal, TroupeStatus } from '../engine/search-attributes';
import { RunInput } from '../engine/spec';
import { fromZodIssue, parseSpec } from '../engine/spec-validation';
import { runUrl, type Config } from '../config';
import type { runWorkflow } from '../workflows/run-workflow';
import { HttpError, invalidRequest } from './http-error';
import { readRun } from './run-reader';

export const StartRunRequest = z.strictObject({
  spec: z.union([z.string(), z.record(z.string(), z.unknown())], {
    error: 'spec must be a spec object or YAML/JSON text',
  }),
  input: RunInput.default({}),
});
export type StartRunRequest = z.infer<typeof StartRunRequest>;

export const RunIdParam = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,199}$/, 'not a run id');

export function runsRoutes({ client, config }: { client: Client; config: Config }): Router {
  const router = Router();

  router.post('/', async (req, res) => {
    if (req.body === undefined) {
      throw new HttpError(415, {
        message: 'send the request body as JSON with Content-Type: application/json',
      });
    }
    const request = StartRunRequest.safeParse(req.body);
    const specSource = (req.body as { spec?: unknown }).spec;
    const parsed = typeof specSource === 'string' || isObject(specSource) ? parseSpec(specSource) : undefined;
    const issues = [
      ...(request.success ? [] : request.error.issues.flatMap(fromZodIssue)),
      ...(parsed && !parsed.ok
        ? parsed.issues.map((issue) => ({ ...issue, path: ['spec', ...issue.path] }))
        : []),
    ];
    if (!request.success || !parsed?.ok) throw invalidRequest(issues);

    const { spec } = parsed;
    const runId = `${spec.name.toLowerCase()}-${randomUUID().slice(0, 8)}`;
    const tools = [...new Set(spec.steps.map((step) => step.tool))];
    await client.workflow.start<typeof runWorkflow>('runWorkflow', {
      taskQueue: config.TROUPE_TASK_QUEUE,
      workflowId: runId,
      args: [{ spec, input: request.data.input }],
      memo: { title: spec.description ?? spec.name },
      typedSearchAttributes: [
        { key: TroupeStatus, value: 'running' },
        { key: TroupeAgents, value: tools },
        { key: TroupeCost, value: 0 },
        { key: TroupeGoal, value: spec.description ?? spec.name },
      ],
    });
    res
      .status(201)
      .location(`${req.baseUrl}/${runId}`)
      .json({ runId, temporalUrl: runUrl(config, runId) });
  });

  router.get('/:runId', async (req, res) => {
    const runId = RunIdParam.safeParse(req.params.runId);
    if (!runId.success) throw new HttpError(404, { message: `no run with id "${req.params.runId}"` });
    res.json(await readRun(client, runId.data));
  });

  return router;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
