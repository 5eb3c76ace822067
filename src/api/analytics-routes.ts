import { join } from 'node:path';
import type { Client } from '@temporalio/client';
import { Router } from 'express';
import { z } from 'zod';
import type { Config } from '../config';
import { RunStatus } from '../engine/run-snapshot';
import { JsonlCostLedger, utcDay, type LedgerEntry } from '../models/cost-ledger';
import { parseRequest } from './request-parsing';
import { visibilityQuery } from './run-list';

export const AnalyticsQuery = z.strictObject({
  days: z.coerce.number().int().min(1).max(90).default(7),
});

export const RunAnalytics = z.object({
  from: z.iso.date(),
  to: z.iso.date(),
  total: z.number().int(),
  byStatus: z.record(z.string(), z.number().int()),
  byDay: z.array(z.object({ day: z.iso.date(), runs: z.number().int() })),
});
export type RunAnalytics = z.infer<typeof RunAnalytics>;

const Spend = z.object({
  usd: z.number(),
  calls: z.number().int(),
  inputTokens: z.number().int(),
  outputTokens: z.number().int(),
});
export const CostAnalytics = z.object({
  from: z.iso.date(),
  to: z.iso.date(),
  total: Spend,
  byDay: z.array(Spend.extend({ day: z.iso.date() })),
  byModel: z.array(Spend.extend({ modelId: z.string() })),
  byAgent: z.array(Spend.extend({ agent: z.string() })),
});
export type CostAnalytics = z.infer<typeof CostAnalytics>;

type Spend = z.infer<typeof Spend>;

/** The UTC days from `days - 1` days ago to today, oldest first. */
function lastDays(days: number, now = new Date()): string[] {
  const today = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate());
  return Array.from({ length: days }, (_, index) =>
    utcDay(new Date(today - (days - 1 - index) * 86_400_000)),
  );
}

/** Sums ledger entries by a key; exported for the metrics endpoint, which reads the same ledger. */
export function sumBy(entries: LedgerEntry[], key: (entry: LedgerEntry) => string): Map<string, Spend> {
  const sums = new Map<string, Spend>();
  for (const entry of entries) {
    const sum = sums.get(key(entry)) ?? { usd: 0, calls: 0, inputTokens: 0, outputTokens: 0 };
    sum.usd += entry.costUsd;
    sum.calls += 1;
    sum.inputTokens += entry.inputTokens;
    sum.outputTokens += entry.outputTokens;
    sums.set(key(entry), sum);
  }
  return sums;
}

/** Summaries for dashboards: runs from Temporal's visibility counts, money from the model cost ledger. */
export function analyticsRoutes({ client, config }: { client: Client; config: Config }): Router {
  const router = Router();
  const ledger = new JsonlCostLedger(join(config.TROUPE_DATA_DIR, 'ledger', 'model-calls.jsonl'));
  const count = async (query: string) => {
    const response = await client.workflowService.countWorkflowExecutions({
      namespace: config.TEMPORAL_NAMESPACE,
      query,
    });
    return Number(response.count ?? 0);
  };

  router.get('/runs', async (req, res) => {
    const { days } = parseRequest(AnalyticsQuery, req.query, 'query');
    const range = lastDays(days);
    const from = `${range[0]}T00:00:00.000Z`;
    const statuses = Object.values(RunStatus);
    const [total, perStatus, perDay] = await Promise.all([
      count(visibilityQuery({ since: from })),
      Promise.all(statuses.map((status) => count(visibilityQuery({ since: from, status })))),
      Promise.all(
        range.map((day) =>
          count(
            visibilityQuery({
              since: `${day}T00:00:00.000Z`,
              until: new Date(Date.parse(day) + 86_400_000).toISOString(),
            }),
          ),
        ),
      ),
    ]);
    const body: RunAnalytics = {
      from: range[0] ?? '',
      to: range.at(-1) ?? '',
      total,
      byStatus: Object.fromEntries(statuses.map((status, index) => [status, perStatus[index] ?? 0])),
      byDay: range.map((day, index) => ({ day, runs: perDay[index] ?? 0 })),
    };
    res.json(body);
  });

  router.get('/cost', async (req, res) => {
    const { days } = parseRequest(AnalyticsQuery, req.query, 'query');
    const range = lastDays(days);
    const first = range[0] ?? '';
    const entries = (await ledger.entries()).filter((entry) => entry.ts.slice(0, 10) >= first);
    const total = sumBy(entries, () => 'all').get('all') ?? {
      usd: 0,
      calls: 0,
      inputTokens: 0,
      outputTokens: 0,
    };
    const byDay = sumBy(entries, (entry) => entry.ts.slice(0, 10));
    const empty = { usd: 0, calls: 0, inputTokens: 0, outputTokens: 0 };
    const body: CostAnalytics = {
      from: first,
      to: range.at(-1) ?? '',
      total,
      byDay: range.map((day) => ({ day, ...(byDay.get(day) ?? empty) })),
      byModel: [...sumBy(entries, (entry) => entry.modelId)].map(([modelId, sum]) => ({ modelId, ...sum })),
      byAgent: [...sumBy(entries, (entry) => entry.agent ?? '(none)')].map(([agent, sum]) => ({
        agent,
        ...sum,
      })),
    };
    res.json(body);
  });

  return router;
}
