import type { Usage } from './model-cost';

/**
 * Errors from a model server, sorted into the few kinds routing cares about. Adapters throw only
 * these, so the caller never has to know which client library failed.
 */
export const ProviderErrorKind = {
  RateLimited: 'rate-limited',
  Unavailable: 'unavailable',
  Timeout: 'timeout',
  Malformed: 'malformed',
  Rejected: 'rejected',
  InvalidOutput: 'invalid-output',
  CircuitOpen: 'circuit-open',
  Cancelled: 'cancelled',
} as const;
export type ProviderErrorKind = (typeof ProviderErrorKind)[keyof typeof ProviderErrorKind];

export class ProviderError extends Error {
  override name = 'ProviderError';
  readonly kind: ProviderErrorKind;
  readonly status: number | undefined;
  readonly retryAfterMs: number | undefined;
  /** Tokens the failed call used anyway (a wrong answer is still paid for). */
  readonly usage: Usage | undefined;

  constructor(
    kind: ProviderErrorKind,
    message: string,
    options: {
      status?: number | undefined;
      retryAfterMs?: number | undefined;
      usage?: Usage | undefined;
      cause?: unknown;
    } = {},
  ) {
    super(message, { cause: options.cause });
    this.kind = kind;
    this.status = options.status;
    this.retryAfterMs = options.retryAfterMs;
    this.usage = options.usage;
  }

  /** Failures that say the model is unwell: they count towards opening its circuit breaker. */
  get countsAgainstBreaker(): boolean {
    return (
      this.kind === ProviderErrorKind.Unavailable ||
      this.kind === ProviderErrorKind.Timeout ||
      this.kind === ProviderErrorKind.Malformed
    );
  }
}

/** Reads Retry-After (seconds or an HTTP date) and the retry-after-ms header some servers send. */
export function retryAfterMs(headers: Headers | undefined | null, now = Date.now()): number | undefined {
  if (!headers) return undefined;
  const ms = Number(headers.get('retry-after-ms'));
  if (headers.get('retry-after-ms') && Number.isFinite(ms) && ms >= 0) return ms;
  const value = headers.get('retry-after');
  if (!value) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/** The kind of an HTTP status: 429 is a rate limit, 408 and 5xx mean try elsewhere, other 4xx are refusals. */
export function kindOfStatus(status: number): ProviderErrorKind {
  if (status === 429) return ProviderErrorKind.RateLimited;
  if (status === 408 || status === 504) return ProviderErrorKind.Timeout;
  if (status >= 500) return ProviderErrorKind.Unavailable;
  return ProviderErrorKind.Rejected;
}

/** "connect ECONNREFUSED 127.0.0.1:11434" rather than fetch's bare "fetch failed": the deepest cause says most. */
export function networkReason(err: unknown): string {
  const top = err instanceof Error ? err.message : String(err);
  let deepest = top;
  let current: unknown = err;
  for (let depth = 0; depth < 6 && current instanceof Error; depth++) {
    const code = (current as NodeJS.ErrnoException).code;
    if (code) return current.message.includes(code) ? current.message : `${code}: ${current.message}`;
    deepest = current.message || deepest;
    current = current.cause;
  }
  return deepest === top ? top : `${top} (${deepest})`;
}
