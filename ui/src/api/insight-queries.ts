import { useQuery } from '@tanstack/react-query';
import { api, query } from './client';
import type {
  AgentPerformance,
  AgentsResponse,
  CostAnalytics,
  LearningCurveResponse,
  ModelPerformance,
  ModelsResponse,
  RunAnalytics,
  StepAnalytics,
} from './page-types';

/** Cache keys of the agents, models and analytics pages; the agents socket patches `agents`. */
export const insightKeys = {
  agents: ['agents'] as const,
  models: ['models'] as const,
  analytics: (what: AnalyticsView, days: number) => ['analytics', what, days] as const,
};

export function useAgents() {
  return useQuery({
    queryKey: insightKeys.agents,
    queryFn: () => api<AgentsResponse>('/api/agents'),
    refetchInterval: 15_000,
  });
}

export function useModels() {
  return useQuery({
    queryKey: insightKeys.models,
    queryFn: () => api<ModelsResponse>('/api/models'),
    refetchInterval: 15_000,
  });
}

type AnalyticsView = 'runs' | 'cost' | 'steps' | 'agents' | 'models' | 'learning';

function useAnalytics<T>(what: AnalyticsView, days: number, extra: Record<string, number> = {}) {
  return useQuery({
    queryKey: [...insightKeys.analytics(what, days), extra],
    queryFn: () => api<T>(`/api/analytics/${what}${query({ days, ...extra })}`),
    refetchInterval: 30_000,
  });
}
export const useRunAnalytics = (days: number) => useAnalytics<RunAnalytics>('runs', days);
export const useCostAnalytics = (days: number) => useAnalytics<CostAnalytics>('cost', days);
export const useStepAnalytics = (days: number) => useAnalytics<StepAnalytics>('steps', days);
export const useAgentPerformance = (days: number) => useAnalytics<AgentPerformance>('agents', days);
export const useModelPerformance = (days: number) => useAnalytics<ModelPerformance>('models', days);
/** The curve in blocks of `window` choices: small blocks show a young Troupe learning. */
export const useLearningCurve = (days: number, window = 5) =>
  useAnalytics<LearningCurveResponse>('learning', days, { window });
