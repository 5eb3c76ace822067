import { useEffect } from 'react';
import {
  useInfiniteQuery,
  useMutation,
  useQuery,
  useQueryClient,
  type QueryClient,
} from '@tanstack/react-query';
import { api, query } from './client';
import { newer, type RunTokens } from './live-cache';
import type { RunForecastResponse } from './page-types';
import type { ApprovalsResponse, RunFilter, RunListResponse, RunSnapshot, RunSpecResponse } from './types';

/** Every cache key the UI uses, in one place, so live events and mutations patch the same entries. */
export const keys = {
  runs: (filter: RunFilter = {}) => ['runs', filter] as const,
  allRuns: ['runs'] as const,
  run: (runId: string) => ['run', runId] as const,
  runSpec: (runId: string) => ['run-spec', runId] as const,
  forecast: (runId: string) => ['run-forecast', runId] as const,
  alerts: ['alerts'] as const,
  tokens: (runId: string) => ['run-tokens', runId] as const,
  approvals: ['approvals'] as const,
  uiConfig: ['ui-config'] as const,
};

export const PAGE_SIZE = 200;

export function useRuns(filter: RunFilter) {
  return useInfiniteQuery({
    queryKey: keys.runs(filter),
    queryFn: ({ pageParam }) =>
      api<RunListResponse>(`/api/runs${query({ ...filter, limit: PAGE_SIZE, cursor: pageParam })}`),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: (last) => last.nextCursor,
    refetchInterval: (q) => ((q.state.data?.pages.length ?? 0) <= 2 ? 5_000 : false),
  });
}

export function useRun(runId: string) {
  const client = useQueryClient();
  return useQuery({
    queryKey: keys.run(runId),
    queryFn: async () =>
      newer(
        client.getQueryData(keys.run(runId)),
        await api<RunSnapshot>(`/api/runs/${encodeURIComponent(runId)}`),
      ),
    staleTime: Infinity,
  });
}

export function useRunSpec(runId: string) {
  return useQuery({
    queryKey: keys.runSpec(runId),
    queryFn: () => api<RunSpecResponse>(`/api/runs/${encodeURIComponent(runId)}/spec`),
    staleTime: Infinity,
  });
}

/**
 * A run's forecast from the outcome records and the run's progress; asked again every 30 s while the
 * run goes on, as records grow, and whenever another of its steps has ended (`endedSteps`).
 */
export function useRunForecast(runId: string, running: boolean, endedSteps: number) {
  const client = useQueryClient();
  useEffect(() => {
    void client.invalidateQueries({ queryKey: keys.forecast(runId) });
  }, [client, runId, endedSteps]);
  return useQuery({
    queryKey: keys.forecast(runId),
    queryFn: () => api<RunForecastResponse>(`/api/runs/${encodeURIComponent(runId)}/forecast`),
    staleTime: 30_000,
    refetchInterval: running ? 30_000 : false,
  });
}

/** The text each running model step is writing; only live events fill it. */
export function useRunTokens(runId: string): RunTokens {
  const { data } = useQuery({
    queryKey: keys.tokens(runId),
    queryFn: () => ({}),
    staleTime: Infinity,
    initialData: {},
  });
  return data;
}

export function useApprovals() {
  return useQuery({
    queryKey: keys.approvals,
    queryFn: () => api<ApprovalsResponse>('/api/approvals'),
    refetchInterval: 5_000,
  });
}

/** `simulated`: the models are the scripted server's (`npm run demo`); older APIs leave it out. */
export type UiConfig = { temporalUiUrl: string; namespace: string; simulated?: boolean };
export function useUiConfig() {
  return useQuery({
    queryKey: keys.uiConfig,
    queryFn: () => api<UiConfig>('/api/ui-config'),
    staleTime: Infinity,
  });
}

/** A run's page in Temporal Web, when the API has said where Temporal Web is. */
export function temporalRunUrl(config: UiConfig | undefined, runId: string): string | undefined {
  if (!config) return undefined;
  return `${config.temporalUiUrl}/namespaces/${encodeURIComponent(config.namespace)}/workflows/${encodeURIComponent(runId)}`;
}

function runPath(runId: string, action: string) {
  return `/api/runs/${encodeURIComponent(runId)}/${action}`;
}

function settleRun(client: QueryClient, runId: string, run?: RunSnapshot) {
  if (run && typeof run === 'object' && 'version' in run) {
    client.setQueryData(keys.run(runId), (current: RunSnapshot | undefined) => newer(current, run));
  }
  void client.invalidateQueries({ queryKey: keys.approvals });
  void client.invalidateQueries({ queryKey: keys.allRuns });
}

export type Control = 'pause' | 'resume' | 'cancel';
export function useControlRun(runId: string) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (action: Control) => api<RunSnapshot | undefined>(runPath(runId, action), { method: 'POST' }),
    onSuccess: (run) => settleRun(client, runId, run),
  });
}

export type DecisionInput = { runId: string; stepId: string; approve: boolean; comment?: string };
export function useDecide() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: ({ runId, stepId, approve, comment }: DecisionInput) =>
      api<RunSnapshot>(runPath(runId, approve ? 'approve' : 'reject'), {
        method: 'POST',
        json: { stepId, ...(comment && { comment }) },
      }),
    onSuccess: (run, { runId }) => settleRun(client, runId, run),
  });
}

export type BatchCancelResponse = { cancelled: string[]; skipped: { runId: string; reason: string }[] };
export function useBatchCancel() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (runIds: string[]) =>
      api<BatchCancelResponse>('/api/runs/cancel', { method: 'POST', json: { runIds } }),
    onSuccess: () => void client.invalidateQueries({ queryKey: keys.allRuns }),
  });
}

/** A large output moved to the blob store, fetched only when someone opens it. */
export function useBlob(id: string | undefined) {
  return useQuery({
    queryKey: ['blob', id],
    queryFn: () => api<string>(`/api/blobs/${encodeURIComponent(id ?? '')}`),
    enabled: Boolean(id),
    staleTime: Infinity,
  });
}
