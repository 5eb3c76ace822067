import {
  BrokenCircuitError,
  circuitBreaker,
  CircuitState,
  ConsecutiveBreaker,
  handleWhen,
  type CircuitBreakerPolicy,
} from 'cockatiel';
import { ProviderError, ProviderErrorKind } from './provider-error';
import { BreakerState } from './router-policy';

export type BreakerSettings = { failures: number; halfOpenAfterMs: number };

/**
 * One cockatiel circuit breaker per model, in this worker process. After `failures` consecutive
 * server-side failures the circuit opens and calls fail fast without reaching the server; after
 * `halfOpenAfterMs` one call is let through as a probe, and its outcome closes or reopens it.
 */
export class ModelBreakers {
  private readonly breakers = new Map<string, { policy: CircuitBreakerPolicy; openedAt: number }>();

  constructor(
    private readonly settings: BreakerSettings,
    private readonly options: { now?: () => number; onChange?: (breakers: ModelBreakers) => void } = {},
  ) {}

  private now(): number {
    return (this.options.now ?? Date.now)();
  }

  /** Runs a call through the model's breaker; an open circuit throws a circuit-open ProviderError. */
  async run<T>(modelId: string, call: (signal: AbortSignal) => Promise<T>, signal?: AbortSignal): Promise<T> {
    const entry = this.entry(modelId);
    try {
      return await entry.policy.execute(({ signal: inner }) => call(inner), signal);
    } catch (err) {
      if (err instanceof BrokenCircuitError) {
        const wait = Math.max(0, entry.openedAt + this.settings.halfOpenAfterMs - this.now());
        throw new ProviderError(
          ProviderErrorKind.CircuitOpen,
          `the circuit breaker of ${modelId} is open after ${this.settings.failures} consecutive failures; ` +
            `it lets a probe call through in ${Math.ceil(wait / 1000)} s`,
          { cause: err },
        );
      }
      throw err;
    }
  }

  /** The state the router sees: an open circuit whose wait is over reads half-open, ready for a probe. */
  state(modelId: string): BreakerState {
    const entry = this.breakers.get(modelId);
    if (!entry) return BreakerState.Closed;
    switch (entry.policy.state) {
      case CircuitState.Closed:
        return BreakerState.Closed;
      case CircuitState.HalfOpen:
        return BreakerState.HalfOpen;
      default:
        return this.now() - entry.openedAt >= this.settings.halfOpenAfterMs
          ? BreakerState.HalfOpen
          : BreakerState.Open;
    }
  }

  snapshot(modelIds: readonly string[]): Record<string, BreakerState> {
    return Object.fromEntries(modelIds.map((id) => [id, this.state(id)]));
  }

  /** Every breaker this process has used, with when it opened: what the breaker board publishes. */
  published(): Record<string, { state: BreakerState; openedAt?: number }> {
    return Object.fromEntries(
      [...this.breakers.entries()].map(([id, entry]) => {
        const state = this.state(id);
        return [id, state === BreakerState.Closed ? { state } : { state, openedAt: entry.openedAt }];
      }),
    );
  }

  private entry(modelId: string) {
    let entry = this.breakers.get(modelId);
    if (!entry) {
      const policy = circuitBreaker(
        handleWhen((err) => err instanceof ProviderError && err.countsAgainstBreaker),
        {
          halfOpenAfter: this.settings.halfOpenAfterMs,
          breaker: new ConsecutiveBreaker(this.settings.failures),
        },
      );
      const created = { policy, openedAt: 0 };
      policy.onBreak(() => {
        created.openedAt = this.now();
      });
      policy.onStateChange(() => this.options.onChange?.(this));
      this.breakers.set(modelId, created);
      entry = created;
    }
    return entry;
  }
}
