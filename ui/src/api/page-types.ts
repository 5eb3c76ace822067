/**
 * Bodies of the specs, schedules, agents, models and analytics endpoints, inferred from the server's
 * own zod schemas and types (type-only imports: nothing of zod reaches the bundle).
 */
import type { z } from 'zod';
import type { AgentDefinition } from '../../../src/agents/agent-definition';
import type { AgentSummary } from '../../../src/agents/agent-status';
import type { CostAnalytics, RunAnalytics, StepAnalytics } from '../../../src/api/analytics-routes';
import type { QueueDepth } from '../../../src/api/agents-routes';
import type {
  AgentPerformance,
  LearningCurveResponse,
  ModelPerformance,
} from '../../../src/api/performance-analytics';
import type {
  CreateScheduleRequest,
  ScheduleListResponse,
  ScheduleView,
} from '../../../src/api/schedule-options';
import type { RunForecastResponse, StartRunRequest, StartRunResponse } from '../../../src/api/runs-routes';
import type {
  SavedSpecResponse,
  SpecListResponse,
  ValidateSpecResponse,
} from '../../../src/api/specs-routes';
import type { BreakerState, ProviderStatus } from '../../../src/models/router-policy';
import type { CatalogueModel } from '../../../src/models/catalogue';

export type { CostAnalytics, RunAnalytics, StepAnalytics, ScheduleView, AgentSummary };
export type { AgentPerformance, ModelPerformance, LearningCurveResponse, RunForecastResponse };
export type PerformanceRow = AgentPerformance['agents'][number];
export type SpecList = z.infer<typeof SpecListResponse>;
export type SavedSpec = z.infer<typeof SavedSpecResponse>;
export type ValidSpec = z.infer<typeof ValidateSpecResponse>;
export type StartRunBody = z.input<typeof StartRunRequest>;
export type StartedRun = z.infer<typeof StartRunResponse>;
export type ScheduleList = z.infer<typeof ScheduleListResponse>;
export type CreateSchedule = z.input<typeof CreateScheduleRequest>;
export type OverlapPolicy = NonNullable<CreateSchedule['overlap']>;

/** GET /api/agents: the registry's agents, each with the workers' merged status (agents-routes.ts). */
export type AgentsResponse = {
  source: string;
  queues: QueueDepth[];
  agents: (Pick<AgentDefinition, 'id' | 'description' | 'capabilities' | 'tools' | 'model'> & {
    compensation: AgentDefinition['compensation']['kind'];
    status: AgentSummary;
  })[];
};

/** GET /api/models: catalogue models with their provider's health and breaker (models-routes.ts). */
export type ModelView = Pick<
  CatalogueModel,
  'id' | 'provider' | 'kind' | 'local' | 'capabilities' | 'contextTokens' | 'pricing' | 'taskQueue'
> & {
  name: string;
  health: ProviderStatus | 'unknown';
  healthError?: string;
  installed?: boolean;
  breaker: BreakerState;
};
export type ModelsResponse = { defaultPolicy: unknown; models: ModelView[] };
