import { ScheduleNotFoundError, type Client, type ScheduleDescription } from '@temporalio/client';
import { Router } from 'express';
import type { Config } from '../config';
import { HttpError } from './http-error';
import { parseRequest } from './request-parsing';
import {
  BackfillRequest,
  CreateScheduleRequest,
  fromTemporalOverlap,
  NoteRequest,
  ScheduleId,
  scheduleOptions,
  temporalOverlap,
  TriggerRequest,
  UpdateScheduleRequest,
  type ScheduleView,
} from './schedule-options';
import type { SpecStore } from './spec-store';
import { triggerDelayMs } from './trigger-timing';
import { z } from 'zod';

const IdParams = z.object({ id: ScheduleId });

type ActionMemo = { schedule?: { specName?: string; cron?: string[]; every?: string } };

/** A schedule as the API shows it: its timing, its spec, the next runs and the recent ones. */
export function toScheduleView(id: string, description: ScheduleDescription): ScheduleView {
  const action = description.action.type === 'startWorkflow' ? description.action : undefined;
  const memo = (action?.memo ?? {}) as ActionMemo;
  return {
    id,
    ...(memo.schedule?.specName && { specName: memo.schedule.specName }),
    paused: description.state.paused,
    ...(description.state.note && { note: description.state.note }),
    cron: memo.schedule?.cron ?? [],
    every: memo.schedule?.every ? [memo.schedule.every] : [],
    ...(description.policies.overlap && { overlap: fromTemporalOverlap(description.policies.overlap) }),
    catchupWindowMs: description.policies.catchupWindow,
    input: (action?.args?.[0] as { input?: unknown } | undefined)?.input,
    nextRuns: description.info.nextActionTimes.map((time) => time.toISOString()),
    runsStarted: description.info.numActionsTaken,
    running: description.info.runningActions.map((action) => action.workflow.workflowId),
    recentRuns: description.info.recentActions.map((result) => ({
      runId: result.action.workflow.workflowId,
      scheduledAt: result.scheduledAt.toISOString(),
      takenAt: result.takenAt.toISOString(),
    })),
  };
}

/** Schedules on Temporal Schedules: Temporal keeps the timing durable, the API only configures it. */
export function schedulesRoutes({
  client,
  config,
  specs,
}: {
  client: Client;
  config: Config;
  specs: SpecStore;
}): Router {
  const router = Router();

  const describe = async (id: string) => {
    try {
      return await client.schedule.getHandle(id).describe();
    } catch (err) {
      if (err instanceof ScheduleNotFoundError) throw new HttpError(404, { message: `no schedule "${id}"` });
      throw err;
    }
  };
  const idOf = (params: unknown) => parseRequest(IdParams, params, 'params').id;

  router.post('/', async (req, res) => {
    const request = parseRequest(CreateScheduleRequest, req.body ?? {});
    const { spec } = await specs.get(request.specName);
    try {
      await client.schedule.create(scheduleOptions(config, request.id, request, spec));
    } catch (err) {
      if ((err as Error).name === 'ScheduleAlreadyRunning') {
        throw new HttpError(409, { message: `a schedule "${request.id}" exists; update it with PUT` });
      }
      throw err;
    }
    res
      .status(201)
      .location(`${req.baseUrl}/${request.id}`)
      .json(toScheduleView(request.id, await describe(request.id)));
  });

  router.get('/', async (_req, res) => {
    const ids: string[] = [];
    for await (const summary of client.schedule.list()) {
      if ((summary.memo as { troupe?: boolean } | undefined)?.troupe) ids.push(summary.scheduleId);
    }
    const schedules = await Promise.all(ids.sort().map(async (id) => toScheduleView(id, await describe(id))));
    res.json({ schedules });
  });

  router.get('/:id', async (req, res) => {
    const id = idOf(req.params);
    res.json(toScheduleView(id, await describe(id)));
  });

  router.put('/:id', async (req, res) => {
    const id = idOf(req.params);
    const request = parseRequest(UpdateScheduleRequest, req.body ?? {});
    const { spec } = await specs.get(request.specName);
    await describe(id);
    const { spec: timing, action, policies } = scheduleOptions(config, id, request, spec);
    const state = { paused: request.paused, ...(request.note && { note: request.note }) };
    await client.schedule
      .getHandle(id)
      .update((previous) => ({ ...previous, spec: timing, action, policies, state }));
    res.json(toScheduleView(id, await describe(id)));
  });

  for (const verb of ['pause', 'unpause'] as const) {
    router.post(`/:id/${verb}`, async (req, res) => {
      const id = idOf(req.params);
      const { note } = parseRequest(NoteRequest, req.body ?? {});
      await describe(id);
      await client.schedule.getHandle(id)[verb](note);
      res.json(toScheduleView(id, await describe(id)));
    });
  }

  router.post('/:id/trigger', async (req, res) => {
    const id = idOf(req.params);
    const { overlap } = parseRequest(TriggerRequest, req.body ?? {});
    const wait = triggerDelayMs(id, await describe(id), Date.now());
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    await client.schedule.getHandle(id).trigger(temporalOverlap(overlap));
    res.status(202).json({ id, triggered: true, overlap });
  });

  router.post('/:id/backfill', async (req, res) => {
    const id = idOf(req.params);
    const request = parseRequest(BackfillRequest, req.body ?? {});
    if (new Date(request.end) <= new Date(request.start)) {
      throw new HttpError(400, {
        message: '`end` must be after `start`',
        errors: [{ path: 'end', message: 'must be after start' }],
      });
    }
    await describe(id);
    await client.schedule.getHandle(id).backfill({
      start: new Date(request.start),
      end: new Date(request.end),
      overlap: temporalOverlap(request.overlap),
    });
    res.status(202).json({ id, backfilled: { start: request.start, end: request.end } });
  });

  router.delete('/:id', async (req, res) => {
    const id = idOf(req.params);
    await describe(id);
    await client.schedule.getHandle(id).delete();
    res.status(204).end();
  });

  return router;
}
