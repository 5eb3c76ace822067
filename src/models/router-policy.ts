import type { Catalogue, CatalogueModel } from './catalogue';
import { estimateCallCostUsd, usd } from './model-cost';
import { RoutingPolicy, type Capability } from './model-step-input';

/**
 * Picks the failover chain for one model call. Pure and deterministic (no clock, no randomness, ties
 * broken by id), so it gives the same answer in an activity, in a workflow, and in the benchmark.
 */

export const ProviderStatus = {
  Up: 'up',
  Down: 'down',
  Unconfigured: 'unconfigured',
  Unknown: 'unknown',
} as const;
export type ProviderStatus = (typeof ProviderStatus)[keyof typeof ProviderStatus];

export const BreakerState = { Closed: 'closed', Open: 'open', HalfOpen: 'half-open' } as const;
export type BreakerState = (typeof BreakerState)[keyof typeof BreakerState];

export type ProviderState = { status: ProviderStatus; error?: string; models?: string[] };

/** What the router knows about the world right now: provider health and each model's breaker. */
export type RouteSnapshot = {
  providers: Record<string, ProviderState | undefined>;
  breakers: Record<string, BreakerState | undefined>;
};

export type RouteRequirement = {
  policy?: RoutingPolicy | undefined;
  /** A pinned catalogue model id. */
  model?: string | undefined;
  capabilities?: readonly Capability[] | undefined;
  /** Context the caller needs beyond this call's own prompt and output. */
  contextTokens?: number | undefined;
  /** Estimated prompt tokens of this call. */
  inputTokens: number;
  maxOutputTokens?: number | undefined;
};

export type RouteCandidate = {
  modelId: string;
  provider: string;
  taskQueue: string;
  reason: string;
  /** A local model, served by the local-models pool. */
  local?: boolean;
  /** What one call is estimated to cost at most (its input, and the most output it may write). */
  estimatedUsd?: number;
};
export type SkippedModel = { modelId: string; reason: string };
export type RoutePlan = {
  policy: RoutingPolicy;
  chain: RouteCandidate[];
  skipped: SkippedModel[];
  reason: string;
};

export type RoutableCatalogue = Pick<Catalogue, 'models' | 'routing'>;

export class UnknownModelError extends Error {
  override name = 'UnknownModelError';
}

type Scored = { model: CatalogueModel; costUsd: number; note: string };

/** Orders the capable, healthy models by the policy; the order is the failover chain. */
export function planRoute(
  catalogue: RoutableCatalogue,
  snapshot: RouteSnapshot,
  requirement: RouteRequirement,
): RoutePlan {
  const policy = requirement.policy ?? catalogue.routing.defaultPolicy;
  let models = catalogue.models;
  if (requirement.model !== undefined) {
    const pinned = models.find((model) => model.id === requirement.model);
    if (!pinned) {
      const known = models.map((model) => model.id).join(', ');
      throw new UnknownModelError(`model "${requirement.model}" is not in the catalogue; it has: ${known}`);
    }
    models = [pinned];
  }
  const skipped: SkippedModel[] = [];
  const usable: Scored[] = [];
  for (const model of models) {
    const maxOut = requirement.maxOutputTokens ?? model.maxOutputTokens;
    const why = unfit(model, snapshot, requirement, maxOut);
    if (why) {
      skipped.push({ modelId: model.id, reason: why });
      continue;
    }
    const costUsd = estimateCallCostUsd(model.pricing, requirement.inputTokens, maxOut);
    const breaker = snapshot.breakers[model.id];
    const note = breaker === BreakerState.HalfOpen ? '; circuit half-open, so this call probes it' : '';
    usable.push({ model, costUsd, note });
  }
  usable.sort(comparators[policy]);
  const chain = usable.map(({ model, costUsd, note }, index) => ({
    modelId: model.id,
    provider: model.provider,
    taskQueue: model.taskQueue,
    reason: `${index === 0 ? 'first' : `fallback ${index}`} by ${policy}: ${describe(model, costUsd)}${note}`,
    ...(model.local && { local: true }),
    estimatedUsd: costUsd,
  }));
  return { policy, chain, skipped, reason: summarise(policy, requirement, usable, skipped) };
}

function unfit(
  model: CatalogueModel,
  snapshot: RouteSnapshot,
  requirement: RouteRequirement,
  maxOut: number,
): string | undefined {
  const missing = (requirement.capabilities ?? []).filter((cap) => !model.capabilities.includes(cap));
  if (missing.length > 0) return `lacks ${missing.join(', ')}`;
  const needed = Math.max(requirement.contextTokens ?? 0, requirement.inputTokens + maxOut);
  if (needed > model.contextTokens) {
    return `context window ${model.contextTokens} tokens is below the ${needed} this call needs`;
  }
  const provider = snapshot.providers[model.provider];
  if (provider?.status === ProviderStatus.Down || provider?.status === ProviderStatus.Unconfigured) {
    return `provider ${model.provider} is ${provider.status}${provider.error ? `: ${provider.error}` : ''}`;
  }
  if (provider?.models && model.kind === 'ollama' && !hasOllamaModel(provider.models, model.name)) {
    return `not pulled on ${model.provider}; run \`ollama pull ${model.name}\``;
  }
  if (snapshot.breakers[model.id] === BreakerState.Open)
    return 'circuit breaker open after repeated failures';
  return undefined;
}

function hasOllamaModel(installed: string[], name: string): boolean {
  const full = name.includes(':') ? name : `${name}:latest`;
  return installed.includes(name) || installed.includes(full);
}

const byId = (a: Scored, b: Scored) => (a.model.id < b.model.id ? -1 : a.model.id > b.model.id ? 1 : 0);
const byCost = (a: Scored, b: Scored) => a.costUsd - b.costUsd;
const byQuality = (a: Scored, b: Scored) => b.model.quality - a.model.quality;
const bySpeed = (a: Scored, b: Scored) => b.model.tokensPerSecond - a.model.tokensPerSecond;
const localFirst = (a: Scored, b: Scored) => Number(b.model.local) - Number(a.model.local);
const chained =
  (...comparators: ((a: Scored, b: Scored) => number)[]) =>
  (a: Scored, b: Scored) => {
    for (const compare of comparators) {
      const order = compare(a, b);
      if (order !== 0) return order;
    }
    return 0;
  };

const comparators: Record<RoutingPolicy, (a: Scored, b: Scored) => number> = {
  [RoutingPolicy.LocalFirst]: (a, b) =>
    localFirst(a, b) ||
    (a.model.local ? chained(byQuality, bySpeed, byId)(a, b) : chained(byCost, byQuality, byId)(a, b)),
  [RoutingPolicy.CheapestCapable]: chained(byCost, byQuality, localFirst, byId),
  [RoutingPolicy.Fastest]: chained(bySpeed, byCost, byId),
  [RoutingPolicy.BestQuality]: chained(byQuality, byCost, byId),
};

function describe(model: CatalogueModel, costUsd: number): string {
  const where = model.local ? `local on ${model.provider}, free` : `on ${model.provider}, ≤ ${usd(costUsd)}`;
  return `${model.id} (${where}, quality ${model.quality}, ${model.tokensPerSecond} tok/s)`;
}

function summarise(
  policy: RoutingPolicy,
  requirement: RouteRequirement,
  usable: Scored[],
  skipped: SkippedModel[],
): string {
  const needs = [
    requirement.capabilities?.length ? `with ${requirement.capabilities.join('+')}` : undefined,
    requirement.contextTokens ? `and ≥ ${requirement.contextTokens} tokens of context` : undefined,
  ].filter(Boolean);
  const pinned = requirement.model ? `pinned to ${requirement.model}, ` : '';
  const head =
    usable.length === 0
      ? `${pinned}${policy}: no model ${needs.join(' ') || 'in the catalogue'} can take this call`
      : `${pinned}${policy}: ${usable[0]?.model.id} first, then ${usable.length - 1} fallback(s) ${needs.join(' ')}`.trim();
  const tail = skipped.length
    ? `; skipped ${skipped.map((s) => `${s.modelId} (${s.reason})`).join(', ')}`
    : '';
  return head + tail;
}
