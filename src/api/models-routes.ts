import { Router } from 'express';
import { z } from 'zod';
import { worstBreakerState } from '../models/breaker-board';
import type { ModelRuntime } from '../models/model-runtime';
import type { BreakerState } from '../models/router-policy';
import { invalidRequest } from './http-error';

const ModelsQuery = z.strictObject({
  refresh: z.enum(['true', 'false']).optional(),
});

/**
 * GET /api/models: every catalogue model with its provider's health and its circuit breaker, so a
 * user can see why the router skips a model. Probes run at most once per health.ttlMs unless
 * `?refresh=true`. Breakers are this process's merged with those the worker processes publish under
 * the data dir, so the API shows what the workers see.
 */
export function modelsRoutes({ runtime }: { runtime: ModelRuntime }): Router {
  const router = Router();

  router.get('/', async (req, res) => {
    const query = ModelsQuery.safeParse(req.query);
    if (!query.success)
      throw invalidRequest(query.error.issues.map((issue) => ({ ...issue, path: ['query', ...issue.path] })));
    const { catalogue } = runtime;
    const [reports, published] = await Promise.all([
      runtime.health.check({ refresh: query.data.refresh === 'true' }),
      runtime.board?.read() ?? Promise.resolve<Record<string, BreakerState>>({}),
    ]);
    const breaker = (modelId: string) =>
      worstBreakerState(runtime.breakers.state(modelId), published[modelId]);
    const health = new Map(reports.map((report) => [report.provider, report]));
    res.json({
      catalogue: catalogue.source,
      defaultPolicy: catalogue.routing.defaultPolicy,
      providers: catalogue.providers.map((provider) => ({
        id: provider.id,
        kind: provider.kind,
        baseUrl: provider.baseUrl,
        baseUrlFrom: provider.baseUrlSource,
        local: provider.local,
        taskQueue: provider.taskQueue,
        limits: provider.limits,
        health: withoutModels(health.get(provider.id)),
      })),
      models: catalogue.models.map((model) => {
        const report = health.get(model.provider);
        return {
          id: model.id,
          name: model.name,
          provider: model.provider,
          kind: model.kind,
          local: model.local,
          capabilities: model.capabilities,
          contextTokens: model.contextTokens,
          pricing: model.pricing,
          quality: model.quality,
          tokensPerSecond: model.tokensPerSecond,
          taskQueue: model.taskQueue,
          health: report?.status ?? 'unknown',
          ...(report?.error && { healthError: report.error }),
          ...(report?.models &&
            model.kind === 'ollama' && { installed: isInstalled(report.models, model.name) }),
          breaker: breaker(model.id),
        };
      }),
    });
  });

  return router;
}

function withoutModels<T extends object>(report: T | undefined): Partial<T> | undefined {
  if (!report) return undefined;
  return Object.fromEntries(Object.entries(report).filter(([key]) => key !== 'models')) as Partial<T>;
}

function isInstalled(installed: string[], name: string): boolean {
  return installed.includes(name) || installed.includes(name.includes(':') ? name : `${name}:latest`);
}
