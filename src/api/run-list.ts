import type { Client } from '@temporalio/client';
import { executionInfoFromRaw } from '@temporalio/client/lib/helpers';
import { z } from 'zod';
import { RunStatus } from '../engine/run-snapshot';
import { TroupeAgents, TroupeCost, TroupeGoal, TroupeStatus } from '../engine/search-attributes';
import { HttpError } from './http-error';
import { GrpcCode, grpcCode } from './temporal-errors';

/** The filters a run list takes; every one becomes a search-attribute clause in Temporal's list query. */
export const RunFilter = z.strictObject({
  status: z.enum(RunStatus).optional(),
  agent: z.string().min(1).max(100).optional(),
  since: z.iso.datetime({ offset: true }).optional(),
  until: z.iso.datetime({ offset: true }).optional(),
  q: z.string().min(1).max(200).optional(),
});
export type RunFilter = z.infer<typeof RunFilter>;

export const ListRunsQuery = RunFilter.extend({
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: z
    .string()
    .regex(/^[A-Za-z0-9_-]*$/, 'not a cursor from a previous page')
    .max(4096)
    .refine(isPageToken, 'not a cursor from a previous page of this list')
    .optional(),
});
export type ListRunsQuery = z.infer<typeof ListRunsQuery>;

/**
 * Whether a cursor decodes to a page token Temporal could have issued. Temporal's visibility stores
 * (SQL and Elasticsearch alike) issue JSON objects; anything else is refused here, because the server
 * answers a token it cannot parse with UNKNOWN, which the client retries until the request's deadline.
 */
function isPageToken(cursor: string): boolean {
  if (cursor === '') return true; // the first page
  try {
    const token: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    return typeof token === 'object' && token !== null;
  } catch {
    return false;
  }
}

export const RunSummary = z.object({
  runId: z.string(),
  title: z.string().optional(),
  status: z.string(),
  agents: z.array(z.string()),
  /** What the run's model calls have cost so far (the TroupeCost search attribute). */
  costUsd: z.number(),
  startedAt: z.iso.datetime(),
  closedAt: z.iso.datetime().optional(),
  temporalStatus: z.string(),
});
export type RunSummary = z.infer<typeof RunSummary>;

export const RunListResponse = z.object({
  runs: z.array(RunSummary),
  /** Pass as `cursor` for the next page; absent on the last page. */
  nextCursor: z.string().optional(),
});
export type RunListResponse = z.infer<typeof RunListResponse>;

const quote = (value: string) => `"${value.replace(/["\\]/g, (char) => `\\${char}`)}"`;

/**
 * Which runs have a status: a live run's is its TroupeStatus (running, paused, waiting); a closed run's
 * is Temporal's close status, which runs started under layout 2 leave TroupeStatus short of
 * (history-patches.ts), and which earlier runs' final TroupeStatus always agreed with.
 */
const statusClauses: Record<string, string> = {
  completed: `ExecutionStatus = "Completed"`,
  failed: `ExecutionStatus IN ("Failed", "TimedOut")`,
  cancelled: `ExecutionStatus IN ("Canceled", "Terminated")`,
};

/** Temporal's visibility query for a filter; only Troupe runs are ever listed. */
export function visibilityQuery(filter: RunFilter): string {
  const clauses = [`WorkflowType = "runWorkflow"`];
  if (filter.status) {
    clauses.push(
      statusClauses[filter.status] ??
        `ExecutionStatus = "Running" AND ${TroupeStatus.name} = ${quote(filter.status)}`,
    );
  }
  if (filter.agent) clauses.push(`${TroupeAgents.name} = ${quote(filter.agent)}`);
  if (filter.since) clauses.push(`StartTime >= ${quote(new Date(filter.since).toISOString())}`);
  if (filter.until) clauses.push(`StartTime < ${quote(new Date(filter.until).toISOString())}`);
  if (filter.q) clauses.push(`${TroupeGoal.name} = ${quote(filter.q)}`);
  return clauses.join(' AND ');
}

/**
 * Answers each distinct list query from Temporal at most once per `ttlMs`, and lets concurrent callers
 * share one call: visibility is eventually consistent anyway, and a dashboard polling every second
 * must not turn into one SQL query per viewer. An expired answer is still served while the fresh one
 * is fetched (stale-while-revalidate), so only the first caller of a query ever waits for Temporal.
 */
export function cachedRunLister(client: Client, namespace: string, ttlMs: number) {
  type Entry = { at: number; answer: Promise<RunListResponse>; settled: boolean; refreshing: boolean };
  const cache = new Map<string, Entry>();
  const fetchInto = (key: string, query: ListRunsQuery, previous?: Entry): Promise<RunListResponse> => {
    const answer = listRuns(client, namespace, query);
    const entry: Entry = { at: Date.now(), answer, settled: false, refreshing: false };
    if (!previous) cache.set(key, entry);
    answer.then(
      () => {
        entry.settled = true;
        cache.set(key, entry);
      },
      () => (previous ? (previous.refreshing = false) : cache.delete(key)),
    );
    return answer;
  };
  return (query: ListRunsQuery): Promise<RunListResponse> => {
    if (ttlMs === 0) return listRuns(client, namespace, query);
    const key = JSON.stringify(query);
    const hit = cache.get(key);
    if (!hit) {
      if (cache.size > 1000) cache.clear();
      return fetchInto(key, query);
    }
    if (Date.now() - hit.at >= ttlMs && hit.settled && !hit.refreshing) {
      hit.refreshing = true;
      void fetchInto(key, query, hit).catch(() => undefined);
    }
    return hit.answer;
  };
}

/** One page of runs, newest first; the cursor is Temporal's nextPageToken in base64url. */
export async function listRuns(
  client: Client,
  namespace: string,
  query: ListRunsQuery,
): Promise<RunListResponse> {
  let response;
  try {
    response = await client.workflowService.listWorkflowExecutions({
      namespace,
      pageSize: query.limit,
      query: visibilityQuery(query),
      ...(query.cursor && { nextPageToken: Buffer.from(query.cursor, 'base64url') }),
    });
  } catch (err) {
    const message = (err as Error).message;
    const code = grpcCode(err);
    if (query.cursor && (code === GrpcCode.InvalidArgument || code === GrpcCode.Unknown)) {
      const problem = 'not a cursor from a previous page of this list';
      throw new HttpError(400, {
        message: `query.cursor is ${problem}`,
        errors: [{ path: 'query.cursor', message: problem }],
      });
    }
    if (/token|invalid argument/i.test(message)) {
      throw new HttpError(400, {
        message: `Temporal refused the list: ${message}`,
        errors: [{ path: 'query', message }],
      });
    }
    throw err;
  }
  const converter = client.options.loadedDataConverter;
  const runs = await Promise.all(
    (response.executions ?? []).map(async (raw) => {
      const info = await executionInfoFromRaw(raw, converter, raw, namespace);
      const attributes = info.typedSearchAttributes;
      const title = info.memo?.title;
      return {
        runId: info.workflowId,
        ...(typeof title === 'string' && { title }),
        status: listedStatus(attributes.get(TroupeStatus), info.status.name),
        agents: attributes.get(TroupeAgents) ?? [],
        costUsd: attributes.get(TroupeCost) ?? 0,
        startedAt: info.startTime.toISOString(),
        ...(info.closeTime && { closedAt: info.closeTime.toISOString() }),
        temporalStatus: info.status.name,
      };
    }),
  );
  const token = response.nextPageToken;
  return { runs, ...(token && token.length > 0 && { nextCursor: Buffer.from(token).toString('base64url') }) };
}

/**
 * A run's status for the list: the workflow's own (TroupeStatus) while it runs; once it closed,
 * Temporal's close status, which a run under layout 2 does not copy into TroupeStatus, and which wins
 * where the server ended the run (terminated, timed out) while the attribute still says what it was.
 */
function listedStatus(troupe: string | undefined, temporal: string): string {
  const live = temporal === 'RUNNING' || temporal === 'CONTINUED_AS_NEW';
  if (troupe && (live || !['running', 'paused', 'waiting'].includes(troupe))) return troupe;
  if (temporal === 'TERMINATED' || temporal === 'CANCELLED') return 'cancelled';
  if (temporal === 'TIMED_OUT') return 'failed';
  return temporal.toLowerCase();
}

/** Every run id matching a filter, up to `max`: for batch operations. */
export async function runIdsMatching(
  client: Client,
  namespace: string,
  filter: RunFilter,
  max: number,
): Promise<string[]> {
  const ids: string[] = [];
  let cursor: string | undefined;
  do {
    const page = await listRuns(client, namespace, {
      ...filter,
      limit: Math.min(200, max - ids.length),
      cursor,
    });
    ids.push(...page.runs.filter((run) => run.temporalStatus === 'RUNNING').map((run) => run.runId));
    cursor = page.nextCursor;
  } while (cursor && ids.length < max);
  return ids;
}
