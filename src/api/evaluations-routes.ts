import { Router } from 'express';
import { z } from 'zod';
import type { Config } from '../config';
import { evaluations } from '../learning/evaluations';
import { StoreOutcomeStore, type OutcomeStore } from '../learning/outcome-store';
import { storeOf } from '../store/store';
import { parseRequest } from './request-parsing';

export const EvaluationsQuery = z.strictObject({
  spec: z.string().min(1).max(200).optional(),
  limit: z.coerce.number().int().min(1).max(500).default(50),
});

const Baseline = z.object({
  score: z.number(),
  costUsd: z.number(),
  durationMs: z.number(),
  samples: z.number().int(),
});
const Regression = z.object({
  metric: z.enum(['score', 'costUsd', 'durationMs']),
  value: z.number(),
  baseline: z.number(),
  worseBy: z.number(),
  message: z.string(),
});
const Grade = z.enum(['EXCELLENT', 'GOOD', 'FAIR', 'POOR']);

export const EvaluationsResponse = z.object({
  runs: z.array(
    z.object({
      runId: z.string(),
      specName: z.string(),
      score: z.number(),
      grade: Grade,
      costUsd: z.number(),
      durationMs: z.number(),
      success: z.boolean(),
      steps: z.number().int(),
      endedAt: z.string(),
      baseline: Baseline.optional(),
      regressions: z.array(Regression),
    }),
  ),
  specs: z.array(
    z.object({
      specName: z.string(),
      runs: z.number().int(),
      baseline: Baseline.optional(),
      regressions: z.number().int(),
    }),
  ),
  agents: z.array(
    z.object({
      agent: z.string(),
      steps: z.number().int(),
      successRate: z.number(),
      baseline: Baseline.optional(),
    }),
  ),
  recommendations: z.array(z.object({ agent: z.string(), message: z.string() }).passthrough()),
});
export type EvaluationsResponse = z.infer<typeof EvaluationsResponse>;

/** The outcome store the workers write to: the state store. */
export function outcomeStoreFor(config: Pick<Config, 'TROUPE_DATA_DIR' | 'DATABASE_URL'>): OutcomeStore {
  return new StoreOutcomeStore(storeOf(config));
}

/** Grades, baselines, regressions and recommendations from the outcome records, newest run first. */
export function evaluationsRoutes({ store }: { store: OutcomeStore }): Router {
  const router = Router();
  router.get('/', async (req, res) => {
    const { spec, limit } = parseRequest(EvaluationsQuery, req.query, 'query');
    const all = evaluations(await store.list());
    const runs = all.runs.filter((r) => spec === undefined || r.specName === spec).slice(0, limit);
    const specs = all.specs.filter((s) => spec === undefined || s.specName === spec);
    res.json({ ...all, runs, specs } satisfies EvaluationsResponse);
  });
  return router;
}
