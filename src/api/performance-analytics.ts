import { Router } from 'express';
import { z } from 'zod';
import { loadCatalogue } from '../models/catalogue-loader';
import type { Catalogue } from '../models/catalogue';
import { learningCurve, type LearningCurve } from '../learning/learning-curve';
import type { OutcomeStore } from '../learning/outcome-store';
import { byAgent, byModel, type PerformanceRow } from '../learning/performance';
import { AnalyticsQuery, lastDays } from './analytics-routes';
import { parseRequest } from './request-parsing';

const PerformanceDay = z.object({
  day: z.iso.date(),
  steps: z.number().int(),
  successes: z.number().int(),
  successRate: z.number().min(0).max(1).optional(),
  meanScore: z.number().optional(),
  p95Ms: z.number().optional(),
  costUsd: z.number(),
});

const PerformanceRowSchema = z.object({
  id: z.string(),
  steps: z.number().int(),
  successes: z.number().int(),
  successRate: z.number().min(0).max(1),
  meanScore: z.number(),
  p50Ms: z.number(),
  p95Ms: z.number(),
  costUsd: z.number(),
  /** Total cost ÷ successful steps; absent when none succeeded. */
  costPerSuccess: z.number().optional(),
  modelSteps: z.number().int(),
  localSteps: z.number().int(),
  /** Share of the steps that named a model which ran on a local one; absent when none named a model. */
  localShare: z.number().min(0).max(1).optional(),
  byDay: z.array(PerformanceDay),
});

export const AgentPerformance = z.object({
  from: z.iso.date(),
  to: z.iso.date(),
  agents: z.array(PerformanceRowSchema),
});
export type AgentPerformance = z.infer<typeof AgentPerformance>;

export const ModelPerformance = z.object({
  from: z.iso.date(),
  to: z.iso.date(),
  models: z.array(PerformanceRowSchema.extend({ local: z.boolean() })),
});
export type ModelPerformance = z.infer<typeof ModelPerformance>;

export const LearningCurveQuery = AnalyticsQuery.extend({
  /** How many consecutive choices each point of `windows` covers. */
  window: z.coerce.number().int().min(1).max(1000).default(10),
});

export const LearningCurveResponse = z.object({
  from: z.iso.date(),
  to: z.iso.date(),
  /** What "optimal" means here, in words. */
  definition: z.string(),
  choices: z.number().int(),
  optimal: z.number().int(),
  share: z.number().min(0).max(1).optional(),
  byDay: z.array(
    z.object({
      day: z.iso.date(),
      choices: z.number().int(),
      optimal: z.number().int(),
      share: z.number().min(0).max(1).optional(),
      cumulativeShare: z.number().min(0).max(1).optional(),
    }),
  ),
  windows: z.array(
    z.object({
      first: z.number().int(),
      last: z.number().int(),
      choices: z.number().int(),
      optimal: z.number().int(),
      share: z.number().min(0).max(1),
    }),
  ),
  contexts: z.array(
    z.object({
      context: z.string(),
      choices: z.number().int(),
      optimal: z.number().int(),
      best: z.string(),
      estimates: z.array(z.object({ agent: z.string(), value: z.number(), records: z.number().int() })),
    }),
  ),
});
export type LearningCurveResponse = z.infer<typeof LearningCurveResponse>;

/** Which models the catalogue says are local; a model it does not know counts as not local. */
function localModels(catalogue: (() => Catalogue) | undefined): (model: string) => boolean {
  let ids: Set<string> | undefined;
  return (model) => {
    ids ??= (() => {
      try {
        const known = (catalogue ?? loadCatalogue)();
        return new Set(known.models.filter((m) => m.local).map((m) => m.id));
      } catch {
        return new Set<string>();
      }
    })();
    return ids.has(model);
  };
}

/**
 * `/api/analytics/agents`, `/models` and `/learning`: performance per agent and per model, and the
 * learning curve of `agent: auto`, from the outcome records (src/learning/performance.ts and
 * learning-curve.ts).
 */
export function performanceRoutes({
  store,
  catalogue,
}: {
  store: OutcomeStore;
  /** The model catalogue (the API's model runtime's); without it, the default catalogue file. */
  catalogue?: () => Catalogue;
}): Router {
  const router = Router();
  const isLocal = localModels(catalogue);
  const range = (days: number) => {
    const list = lastDays(days);
    return { days: list, from: list[0] ?? '', to: list.at(-1) ?? '' };
  };

  router.get('/agents', async (req, res) => {
    const { days } = parseRequest(AnalyticsQuery, req.query, 'query');
    const { days: list, from, to } = range(days);
    const agents: PerformanceRow[] = byAgent(await store.list(), { days: list, isLocal });
    res.json({ from, to, agents } satisfies AgentPerformance);
  });

  router.get('/models', async (req, res) => {
    const { days } = parseRequest(AnalyticsQuery, req.query, 'query');
    const { days: list, from, to } = range(days);
    const models = byModel(await store.list(), { days: list, isLocal }).map((row) => ({
      ...row,
      local: isLocal(row.id),
    }));
    res.json({ from, to, models } satisfies ModelPerformance);
  });

  router.get('/learning', async (req, res) => {
    const { days, window } = parseRequest(LearningCurveQuery, req.query, 'query');
    const { days: list, from, to } = range(days);
    const curve: LearningCurve = learningCurve(await store.list(), { days: list, window });
    res.json({ from, to, ...curve } satisfies LearningCurveResponse);
  });

  return router;
}
