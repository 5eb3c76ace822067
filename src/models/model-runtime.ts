import type { Catalogue } from './catalogue';
import { StatusKind, statusStore, type StatusSettings } from '../status-board';
import { BreakerBoard } from './breaker-board';
import { ModelBreakers } from './circuit-breakers';
import { StoreCostLedger, type CostLedger } from './cost-ledger';
import { storeLocation, storeOf } from '../store/store';
import { createOllamaProvider } from './ollama-provider';
import { createOpenAIProvider } from './openai-provider';
import type { ModelProvider } from './provider-adapter';
import { ProviderHealth } from './provider-health';
import { processTokenBus, type TokenBus } from './token-stream';

/** Money promised to calls still running, so concurrent calls cannot each pass the same budget check. */
export class InFlightSpend {
  private readonly byRun = new Map<string, number>();
  private sum = 0;

  run(runId: string): number {
    return this.byRun.get(runId) ?? 0;
  }

  get total(): number {
    return this.sum;
  }

  /** Holds `usd` for a call; the returned function releases it once the call has been recorded. */
  hold(runId: string, usd: number): () => void {
    this.byRun.set(runId, this.run(runId) + usd);
    this.sum += usd;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const left = this.run(runId) - usd;
      if (left <= 1e-12) this.byRun.delete(runId);
      else this.byRun.set(runId, left);
      this.sum = Math.max(0, this.sum - usd);
    };
  }
}

/**
 * Everything a worker process needs to call models: the catalogue, one adapter per configured
 * provider, the breakers, the health cache, the ledger. One per process, shared by the routing
 * activity, every provider pool and the API, so they all see the same breakers.
 */
export type ModelRuntime = {
  catalogue: Catalogue;
  providers: ReadonlyMap<string, ModelProvider>;
  /** Providers that cannot be used, and why (a missing API key). */
  unconfigured: ReadonlyMap<string, string>;
  breakers: ModelBreakers;
  /** Breaker states published by every worker process sharing the data dir, when there is one. */
  board: BreakerBoard | undefined;
  health: ProviderHealth;
  ledger: CostLedger;
  inFlight: InFlightSpend;
  /** Where calls send their tokens as they stream, for the API to show live. */
  tokens: TokenBus;
  now: () => Date;
};

export type ModelRuntimeOptions = {
  catalogue: Catalogue;
  env?: Record<string, string | undefined>;
  /** A ledger to use; otherwise the state store's (DATABASE_URL in `env`, else SQLite in `dataDir`). */
  ledger?: CostLedger;
  /** TROUPE_DATA_DIR: holds the embedded state store and the breaker board (`models/breakers/`). */
  dataDir?: string;
  /** Where the breaker board lives: Redis with REDIS_URL, else `dataDir`'s files (the default). */
  status?: StatusSettings;
  /** The token stream: Redis across machines (openTokenBus); this process and its siblings by default. */
  tokens?: TokenBus;
  now?: () => Date;
};

/** Builds a process's model runtime from the catalogue; API keys are read here, never stored in it. */
export function createModelRuntime({
  catalogue,
  env = process.env,
  ledger,
  dataDir,
  status,
  tokens = processTokenBus(),
  now = () => new Date(),
}: ModelRuntimeOptions): ModelRuntime {
  const providers = new Map<string, ModelProvider>();
  const unconfigured = new Map<string, string>();
  for (const entry of catalogue.providers) {
    if (entry.kind === 'ollama') {
      providers.set(entry.id, createOllamaProvider({ id: entry.id, baseUrl: entry.baseUrl }));
      continue;
    }
    const apiKey = entry.apiKeyEnv ? env[entry.apiKeyEnv]?.trim() : undefined;
    if (entry.apiKeyEnv && !apiKey) {
      unconfigured.set(entry.id, `no API key: set ${entry.apiKeyEnv}`);
      continue;
    }
    providers.set(entry.id, createOpenAIProvider({ id: entry.id, baseUrl: entry.baseUrl, apiKey }));
  }
  if (!ledger && !dataDir)
    throw new Error('createModelRuntime needs a ledger or a dataDir for the state store');
  const boardAt = status ?? (dataDir !== undefined ? { TROUPE_DATA_DIR: dataDir } : undefined);
  const board = boardAt && new BreakerBoard(statusStore(StatusKind.Breakers, boardAt));
  const { halfOpenAfterMs } = catalogue.breaker;
  return {
    catalogue,
    providers,
    unconfigured,
    breakers: new ModelBreakers(catalogue.breaker, {
      onChange: (breakers) => void board?.publish(breakers.published(), halfOpenAfterMs),
    }),
    board,
    health: new ProviderHealth(catalogue, providers, unconfigured, () => now().getTime()),
    ledger: ledger ?? new StoreCostLedger(storeOf(storeLocation(dataDir ?? '.', env))),
    inFlight: new InFlightSpend(),
    tokens,
    now,
  };
}
