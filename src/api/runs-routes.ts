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
import { controlRun } from './run-control';
import { readRun } from './run-reader';
import { addStepsUpdate, decideUpdate, pauseUpdate, resumeUpdate } from '../workflows/run-messages';

export const StartRunRequest = z.strictObject({
  spec: z.union([z.string(), z.record(z.string(), z.unknown())], {
    error: 'spec must be a spec object or YAML/JSON text',
  }),
  input: RunInput.default({}),
});
export type StartRunRequest = z.infer<typeof StartRunRequest>;

export const RunIdParam = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,199}$/, 'not a run id');

export const DecisionBody = z.strictObject({
  stepId: z.string().min(1),
  comment: z.string().max(4000).optional(),
});
export const AddStepsBody = z.strictObject({ steps: z.array(z.unknown()).min(1, 'send at least one step') });

function runIdOf(value: string): string {
  const runId = RunIdParam.safeParse(value);
  if (!runId.success) throw new HttpError(404, { message: `no run with id "${value}"` });
  return runId.data;
}

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
    const tools = [...new Set(spec.steps.map((step) => (step.kind === 'tool' ? step.tool : step.kind)))];
    await client.workflow.start<typeof runWorkflow>('runWorkflow', {
      taskQueue: config.TROUPE_TASK_QUEUE,
      workflowId: runId,
      args: [{ spec, input: request.data.input }],
      memo: { title: spec.description ?? spec.name },
      ...(spec.priority && { priority: { priorityKey: spec.priority } }),
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
    res.json(await readRun(client, runIdOf(req.params.runId)));
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
      const body = DecisionBody.safeParse(req.body ?? {});
      if (!body.success) throw invalidRequest(body.error.issues.flatMap(fromZodIssue));
      const decision = { ...body.data, approved };
      res.json(
        await controlRun(client, runId, (handle) => handle.executeUpdate(decideUpdate, { args: [decision] })),
      );
    });
  }

  router.post('/:runId/steps', async (req, res) => {
    const runId = runIdOf(req.params.runId);
    const body = AddStepsBody.safeParse(req.body ?? {});
    if (!body.success) throw invalidRequest(body.error.issues.flatMap(fromZodIssue));
    res.json(
      await controlRun(client, runId, (handle) =>
        handle.executeUpdate(addStepsUpdate, { args: [body.data] }),
      ),
    );
  });

  return router;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
