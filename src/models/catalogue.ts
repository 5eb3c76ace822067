import { z } from 'zod';
import { CapabilityName, RoutingPolicy, RoutingPolicyName, type Capability } from './model-step-input';

/** The two client libraries Troupe speaks; `openai` covers every OpenAI-compatible server. */
export const ProviderKind = { Ollama: 'ollama', OpenAI: 'openai' } as const;
export type ProviderKind = (typeof ProviderKind)[keyof typeof ProviderKind];

const Id = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9_.:/-]*$/, 'an id has letters, digits and _ . : / -')
  .max(100);
const EnvName = z.string().regex(/^[A-Z_][A-Z0-9_]*$/, 'an environment variable name is UPPER_SNAKE_CASE');
const Millis = z.int().positive();

/** Temporal enforces these on the pool's task queue: concurrency per worker, rate for the whole queue. */
export const Limits = z.strictObject({
  concurrency: z.int().min(1).max(1000).optional(),
  requestsPerSecond: z.number().positive().optional(),
});
export type Limits = z.infer<typeof Limits>;

export const ProviderEntry = z.strictObject({
  id: Id,
  kind: z.enum([ProviderKind.Ollama, ProviderKind.OpenAI]),
  baseUrl: z.url({ error: 'baseUrl must be a URL like http://127.0.0.1:11434' }),
  /** An environment variable whose value, when set, replaces baseUrl (OLLAMA_HOST, OPENAI_BASE_URL). */
  baseUrlEnv: EnvName.optional(),
  /** The environment variable holding the API key; when named, the provider is unusable without it. */
  apiKeyEnv: EnvName.optional(),
  /** Runs on this machine or network: costs nothing per token, and local-first tries it first. */
  local: z.boolean().optional(),
  limits: Limits.optional(),
  timeoutMs: Millis.optional(),
  idleTimeoutMs: Millis.optional(),
});
export type ProviderEntry = z.infer<typeof ProviderEntry>;

export const Pricing = z.strictObject({
  inputPerMillion: z.number().min(0),
  outputPerMillion: z.number().min(0),
});
export type Pricing = z.infer<typeof Pricing>;

export const ModelEntry = z.strictObject({
  id: Id,
  provider: Id,
  /** The name the provider knows the model by; defaults to the id. */
  name: z.string().min(1).optional(),
  capabilities: z.array(CapabilityName).default([]),
  contextTokens: z.int().positive(),
  pricing: Pricing.optional(),
  /** 0–100, higher is better: orders best-quality, and local models within local-first. */
  quality: z.number().min(0).max(100).default(50),
  /** Output speed, for the fastest policy. */
  tokensPerSecond: z.number().positive().default(50),
  maxOutputTokens: z.int().positive().default(1024),
  /** A model with its own limits gets its own task queue and worker pool. */
  limits: Limits.optional(),
  timeoutMs: Millis.optional(),
  idleTimeoutMs: Millis.optional(),
});
export type ModelEntry = z.infer<typeof ModelEntry>;

export const CatalogueFile = z.strictObject({
  taskQueuePrefix: z.string().min(1).optional(),
  routing: z
    .strictObject({
      defaultPolicy: RoutingPolicyName.default(RoutingPolicy.LocalFirst),
      /** A 429 whose Retry-After is longer than this fails over instead of waiting. */
      maxRateLimitWaitMs: Millis.default(10_000),
    })
    .default({ defaultPolicy: RoutingPolicy.LocalFirst, maxRateLimitWaitMs: 10_000 }),
  breaker: z
    .strictObject({
      failures: z.int().min(1).default(3),
      halfOpenAfterMs: Millis.default(30_000),
    })
    .default({ failures: 3, halfOpenAfterMs: 30_000 }),
  health: z
    .strictObject({ ttlMs: Millis.default(15_000), probeTimeoutMs: Millis.default(2_000) })
    .default({ ttlMs: 15_000, probeTimeoutMs: 2_000 }),
  budgets: z.strictObject({ dailyUsd: z.number().min(0).optional() }).default({}),
  providers: z.array(ProviderEntry).min(1, 'the catalogue needs at least one provider'),
  models: z.array(ModelEntry).min(1, 'the catalogue needs at least one model'),
});
export type CatalogueFile = z.infer<typeof CatalogueFile>;
export type CatalogueFileInput = z.input<typeof CatalogueFile>;

const DEFAULT_TIMEOUT_MS = 120_000;
/** Generous: Ollama sends nothing while it loads a model, which can take most of a minute. */
const DEFAULT_IDLE_TIMEOUT_MS = 60_000;
const DEFAULT_CONCURRENCY = 4;

export type CatalogueProvider = Omit<ProviderEntry, 'local' | 'limits' | 'timeoutMs' | 'idleTimeoutMs'> & {
  local: boolean;
  limits: Required<Pick<Limits, 'concurrency'>> & Pick<Limits, 'requestsPerSecond'>;
  taskQueue: string;
  /** Where baseUrl came from, for messages: the file, or the variable that overrode it. */
  baseUrlSource: string;
};

export type CatalogueModel = Omit<ModelEntry, 'name' | 'pricing' | 'timeoutMs' | 'idleTimeoutMs'> & {
  name: string;
  pricing: Pricing;
  local: boolean;
  kind: ProviderKind;
  taskQueue: string;
  timeoutMs: number;
  idleTimeoutMs: number;
  capabilities: Capability[];
};

/** The catalogue after env overrides and defaults: what the router, activities and pools read. */
export type Catalogue = Omit<CatalogueFile, 'providers' | 'models' | 'taskQueuePrefix'> & {
  source: string;
  taskQueuePrefix: string;
  providers: CatalogueProvider[];
  models: CatalogueModel[];
};

export type CatalogueProblem = { path: (string | number)[]; message: string };

/** A task-queue name part: Temporal accepts most text, but people read these in Temporal Web. */
function queuePart(text: string): string {
  return text.replace(/[^A-Za-z0-9_.-]+/g, '-');
}

/** The task queue a provider's pool polls; models with their own limits get a queue of their own. */
export function taskQueueName(prefix: string, providerId: string, modelId?: string): string {
  return modelId
    ? `${prefix}-${queuePart(providerId)}--${queuePart(modelId)}`
    : `${prefix}-${queuePart(providerId)}`;
}

/** Accepts `host:port` as Ollama does, so OLLAMA_HOST=127.0.0.1:11434 works. */
export function normaliseBaseUrl(value: string): string {
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(value) ? value : `http://${value}`;
  return withScheme.replace(/\/+$/, '');
}

/**
 * Applies env overrides and defaults, and checks what a schema cannot: unique ids, known providers,
 * prices on paid models. Pure, so the same catalogue gives the same routes everywhere.
 */
export function resolveCatalogue(
  file: CatalogueFile,
  {
    source,
    env,
    taskQueuePrefix,
  }: { source: string; env: Record<string, string | undefined>; taskQueuePrefix: string },
): { ok: true; catalogue: Catalogue } | { ok: false; problems: CatalogueProblem[] } {
  const problems: CatalogueProblem[] = [];
  const prefix = file.taskQueuePrefix ?? taskQueuePrefix;
  const providers = new Map<string, CatalogueProvider>();
  file.providers.forEach((entry, index) => {
    if (providers.has(entry.id)) {
      problems.push({ path: ['providers', index, 'id'], message: `duplicate provider id "${entry.id}"` });
      return;
    }
    const override = entry.baseUrlEnv ? env[entry.baseUrlEnv]?.trim() : undefined;
    let baseUrl = normaliseBaseUrl(entry.baseUrl);
    if (override) {
      baseUrl = normaliseBaseUrl(override);
      if (!z.url().safeParse(baseUrl).success) {
        problems.push({
          path: ['providers', index, 'baseUrlEnv'],
          message: `${entry.baseUrlEnv}=${JSON.stringify(override)} is not a URL`,
        });
      }
    }
    const { local, limits } = entry;
    providers.set(entry.id, {
      id: entry.id,
      kind: entry.kind,
      ...(entry.baseUrlEnv && { baseUrlEnv: entry.baseUrlEnv }),
      ...(entry.apiKeyEnv && { apiKeyEnv: entry.apiKeyEnv }),
      baseUrl,
      baseUrlSource: override ? `${entry.baseUrlEnv}` : source,
      local: local ?? entry.kind === ProviderKind.Ollama,
      limits: { concurrency: limits?.concurrency ?? DEFAULT_CONCURRENCY, ...pickRate(limits) },
      taskQueue: taskQueueName(prefix, entry.id),
    });
  });
  const entries = new Map(file.providers.map((entry) => [entry.id, entry]));
  const seen = new Set<string>();
  const models: CatalogueModel[] = [];
  file.models.forEach((entry, index) => {
    const at = (...path: (string | number)[]) => ['models', index, ...path];
    if (seen.has(entry.id)) problems.push({ path: at('id'), message: `duplicate model id "${entry.id}"` });
    seen.add(entry.id);
    const provider = providers.get(entry.provider);
    const providerEntry = entries.get(entry.provider);
    if (!provider || !providerEntry) {
      const known = [...providers.keys()].join(', ');
      problems.push({
        path: at('provider'),
        message: `unknown provider "${entry.provider}"; the catalogue has: ${known}`,
      });
      return;
    }
    if (!entry.pricing && !provider.local) {
      problems.push({
        path: at('pricing'),
        message: `model "${entry.id}" runs on the paid provider "${provider.id}" and needs pricing {inputPerMillion, outputPerMillion}; write 0 if it is free`,
      });
    }
    const { name, pricing, timeoutMs, idleTimeoutMs, ...rest } = entry;
    models.push({
      ...rest,
      name: name ?? entry.id,
      pricing: provider.local ? { inputPerMillion: 0, outputPerMillion: 0 } : (pricing ?? zeroPrice()),
      local: provider.local,
      kind: provider.kind,
      taskQueue: entry.limits ? taskQueueName(prefix, provider.id, entry.id) : provider.taskQueue,
      timeoutMs: timeoutMs ?? providerEntry.timeoutMs ?? DEFAULT_TIMEOUT_MS,
      idleTimeoutMs: idleTimeoutMs ?? providerEntry.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS,
    });
  });
  if (problems.length > 0) return { ok: false, problems };
  const { routing, breaker, health, budgets } = file;
  return {
    ok: true,
    catalogue: {
      routing,
      breaker,
      health,
      budgets,
      source,
      taskQueuePrefix: prefix,
      providers: [...providers.values()],
      models,
    },
  };
}

function zeroPrice(): Pricing {
  return { inputPerMillion: 0, outputPerMillion: 0 };
}

function pickRate(limits: Limits | undefined): Pick<Limits, 'requestsPerSecond'> {
  return limits?.requestsPerSecond === undefined ? {} : { requestsPerSecond: limits.requestsPerSecond };
}

/** One worker pool per task queue, with the limits Temporal should enforce on it. */
export type ModelQueue = {
  taskQueue: string;
  provider: string;
  models: string[];
  limits: CatalogueProvider['limits'];
};

/** The task queues the catalogue needs, each with its limits; model-pools starts one worker per entry. */
export function modelQueues(catalogue: Catalogue): ModelQueue[] {
  const queues = new Map<string, ModelQueue>();
  for (const provider of catalogue.providers) {
    queues.set(provider.taskQueue, {
      taskQueue: provider.taskQueue,
      provider: provider.id,
      models: [],
      limits: provider.limits,
    });
  }
  const entries = new Map(catalogue.models.map((model) => [model.id, model]));
  for (const model of entries.values()) {
    const existing = queues.get(model.taskQueue);
    if (existing) {
      existing.models.push(model.id);
      continue;
    }
    const provider = catalogue.providers.find((item) => item.id === model.provider);
    queues.set(model.taskQueue, {
      taskQueue: model.taskQueue,
      provider: model.provider,
      models: [model.id],
      limits: {
        concurrency: model.limits?.concurrency ?? provider?.limits.concurrency ?? DEFAULT_CONCURRENCY,
        ...pickRate(model.limits),
      },
    });
  }
  return [...queues.values()];
}
