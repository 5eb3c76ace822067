import type { Client } from '@temporalio/client';
import { Router } from 'express';
import { z } from 'zod';
import type { Config } from '../config';
import { RunStatus } from '../engine/run-snapshot';
import { StoreCostLedger, utcDay, type LedgerEntry } from '../models/cost-ledger';
import { storeOf } from '../store/store';
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
  byDay: z.array(
    z.object({
      day: z.iso.date(),
      runs: z.number().int(),
      /** The day's runs by Troupe status, for a stacked chart. */
      byStatus: z.record(z.string(), z.number().int()),
    }),
  ),
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
  /** Model calls served by local models, against the target share the router aims for. */
  local: z.object({
    target: z.number(),
    calls: z.number().int(),
    localCalls: z.number().int(),
    share: z.number().optional(),
    byDay: z.array(
      z.object({
        day: z.iso.date(),
        calls: z.number().int(),
        localCalls: z.number().int(),
        share: z.number().optional(),
      }),
    ),
  }),
});
export type CostAnalytics = z.infer<typeof CostAnalytics>;

type Spend = z.infer<typeof Spend>;

export const StepAnalytics = z.object({
  from: z.iso.date(),
  to: z.iso.date(),
  /** Per agent (`(model step)` for model steps): how long its steps' model calls spanned, in ms. */
  byAgent: z.array(
    z.object({ agent: z.string(), steps: z.number().int(), p50Ms: z.number(), p95Ms: z.number() }),
  ),
});
export type StepAnalytics = z.infer<typeof StepAnalytics>;

/** The share of local calls the router aims for (docs/models.md). */
export const LOCAL_SHARE_TARGET = 0.95;

/** The value below which `q` of the sorted values fall (nearest rank). */
function percentile(sorted: number[], q: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] ?? 0;
}

/**
 * Each step's duration as the ledger sees it, from its first model call's start to its last one's
 * end, grouped by agent: the ledger is the one record of steps kept across runs without asking
 * Temporal for every run's state.
 */
export function stepDurations(entries: LedgerEntry[]): StepAnalytics['byAgent'] {
  const spans = new Map<string, { agent: string; start: number; end: number }>();
  for (const entry of entries) {
    const start = Date.parse(entry.ts);
    const key = `${entry.runId}\u0000${entry.stepId}`;
    const span = spans.get(key) ?? { agent: entry.agent ?? '(model step)', start, end: start };
    span.start = Math.min(span.start, start);
    span.end = Math.max(span.end, start + entry.latencyMs);
    spans.set(key, span);
  }
  const byAgent = new Map<string, number[]>();
  for (const span of spans.values()) {
    byAgent.set(span.agent, [...(byAgent.get(span.agent) ?? []), span.end - span.start]);
  }
  return [...byAgent]
    .map(([agent, durations]) => {
      const sorted = durations.sort((a, b) => a - b);
      return { agent, steps: sorted.length, p50Ms: percentile(sorted, 0.5), p95Ms: percentile(sorted, 0.95) };
    })
    .sort((a, b) => a.agent.localeCompare(b.agent));
}

const isLocal = (entry: LedgerEntry) => entry.computeSeconds !== undefined;
const share = (calls: number, localCalls: number) => (calls > 0 ? { share: localCalls / calls } : {});

/** The UTC days from `days - 1` days ago to today, oldest first. */
export function lastDays(days: number, now = new Date()): string[] {
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
  const ledger = new StoreCostLedger(storeOf(config));
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
    const dayRange = (day: string) => ({
      since: `${day}T00:00:00.000Z`,
      until: new Date(Date.parse(day) + 86_400_000).toISOString(),
    });
    const [total, perStatus, perDay] = await Promise.all([
      count(visibilityQuery({ since: from })),
      Promise.all(statuses.map((status) => count(visibilityQuery({ since: from, status })))),
      Promise.all(range.map((day) => count(visibilityQuery(dayRange(day))))),
    ]);
    // A day without runs needs no count per status: 90 days of 7 statuses would be 630 calls to Temporal.
    const perDayStatus = await Promise.all(
      range.map((day, index) =>
        (perDay[index] ?? 0) === 0
          ? Promise.resolve(statuses.map(() => 0))
          : Promise.all(statuses.map((status) => count(visibilityQuery({ ...dayRange(day), status })))),
      ),
    );
    const body: RunAnalytics = {
      from: range[0] ?? '',
      to: range.at(-1) ?? '',
      total,
      byStatus: Object.fromEntries(statuses.map((status, index) => [status, perStatus[index] ?? 0])),
      byDay: range.map((day, index) => ({
        day,
        runs: perDay[index] ?? 0,
        byStatus: Object.fromEntries(statuses.map((status, at) => [status, perDayStatus[index]?.[at] ?? 0])),
      })),
    };
    res.json(body);
  });

  const entriesSince = async (days: number) => {
    const range = lastDays(days);
    const first = range[0] ?? '';
    const entries = await ledger.entries(first);
    return { range, first, entries };
  };

  router.get('/cost', async (req, res) => {
    const { days } = parseRequest(AnalyticsQuery, req.query, 'query');
    const { range, first, entries } = await entriesSince(days);
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
      byAgent: [...sumBy(entries, (entry) => entry.agent ?? '(no agent)')].map(([agent, sum]) => ({
        agent,
        ...sum,
      })),
      local: {
        target: LOCAL_SHARE_TARGET,
        calls: entries.length,
        localCalls: entries.filter(isLocal).length,
        ...share(entries.length, entries.filter(isLocal).length),
        byDay: range.map((day) => {
          const ofDay = entries.filter((entry) => entry.ts.startsWith(day));
          const localCalls = ofDay.filter(isLocal).length;
          return { day, calls: ofDay.length, localCalls, ...share(ofDay.length, localCalls) };
        }),
      },
    };
    res.json(body);
  });

  router.get('/steps', async (req, res) => {
    const { days } = parseRequest(AnalyticsQuery, req.query, 'query');
    const { range, first, entries } = await entriesSince(days);
    const body: StepAnalytics = { from: first, to: range.at(-1) ?? '', byAgent: stepDurations(entries) };
    res.json(body);
  });

  return router;
}
