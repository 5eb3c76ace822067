import type { Catalogue } from './catalogue';
import type { ModelProvider } from './provider-adapter';
import { ProviderStatus, type ProviderState } from './router-policy';

export type ProviderHealthReport = ProviderState & {
  provider: string;
  kind: string;
  baseUrl: string;
  checkedAt?: string;
  latencyMs?: number;
};

/**
 * Probes each provider (Ollama GET /api/tags, OpenAI GET /models) and caches the answer for ttlMs,
 * so routing reads fresh-enough health without a probe per call. Concurrent readers share one probe.
 */
export class ProviderHealth {
  private readonly reports = new Map<string, { report: ProviderHealthReport; at: number }>();
  private readonly inFlight = new Map<string, Promise<ProviderHealthReport>>();

  constructor(
    private readonly catalogue: Catalogue,
    /** Providers that could be built; a missing one is unconfigured, with the reason in `unconfigured`. */
    private readonly providers: ReadonlyMap<string, ModelProvider>,
    private readonly unconfigured: ReadonlyMap<string, string>,
    private readonly now: () => number = Date.now,
  ) {}

  /** Every provider's health, probing those whose report is older than ttlMs (or all, with refresh). */
  async check({ refresh = false }: { refresh?: boolean } = {}): Promise<ProviderHealthReport[]> {
    return Promise.all(this.catalogue.providers.map((provider) => this.checkOne(provider.id, refresh)));
  }

  /** The cached reports only, without probing: for code that must not wait. */
  cached(): ProviderHealthReport[] {
    return this.catalogue.providers.map(
      (provider) =>
        this.reports.get(provider.id)?.report ?? {
          provider: provider.id,
          kind: provider.kind,
          baseUrl: provider.baseUrl,
          status: this.unconfigured.has(provider.id) ? ProviderStatus.Unconfigured : ProviderStatus.Unknown,
          ...(this.unconfigured.has(provider.id) && { error: this.unconfigured.get(provider.id) }),
        },
    );
  }

  private checkOne(id: string, refresh: boolean): Promise<ProviderHealthReport> {
    const known = this.reports.get(id);
    if (!refresh && known && this.now() - known.at < this.catalogue.health.ttlMs) {
      return Promise.resolve(known.report);
    }
    const running = this.inFlight.get(id);
    if (running) return running;
    const probe = this.probe(id).finally(() => this.inFlight.delete(id));
    this.inFlight.set(id, probe);
    return probe;
  }

  private async probe(id: string): Promise<ProviderHealthReport> {
    const entry = this.catalogue.providers.find((provider) => provider.id === id);
    if (!entry) throw new Error(`no provider "${id}" in the catalogue`);
    const base = { provider: id, kind: entry.kind, baseUrl: entry.baseUrl };
    const started = this.now();
    const provider = this.providers.get(id);
    let report: ProviderHealthReport;
    if (!provider) {
      report = {
        ...base,
        status: ProviderStatus.Unconfigured,
        error: this.unconfigured.get(id) ?? 'not configured',
        checkedAt: new Date(started).toISOString(),
      };
    } else {
      const timeoutMs = this.catalogue.health.probeTimeoutMs;
      const signal = AbortSignal.timeout(timeoutMs);
      try {
        const { models } = await provider.probe(signal);
        report = {
          ...base,
          status: ProviderStatus.Up,
          models,
          checkedAt: new Date(started).toISOString(),
          latencyMs: this.now() - started,
        };
      } catch (err) {
        report = {
          ...base,
          status: ProviderStatus.Down,
          error: signal.aborted
            ? `${id} at ${entry.baseUrl} did not answer its health probe within ${timeoutMs} ms`
            : (err as Error).message,
          checkedAt: new Date(started).toISOString(),
          latencyMs: this.now() - started,
        };
      }
    }
    this.reports.set(id, { report, at: started });
    return report;
  }
}
