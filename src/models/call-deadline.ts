import { ProviderError, ProviderErrorKind } from './provider-error';

/**
 * One AbortSignal for a model call that fires on cancellation, on the overall timeout, or when the
 * server goes quiet for too long — and remembers which, so the error can say so. Client libraries
 * only time out until the headers arrive; a stream that stalls afterwards needs the idle timer.
 */
export class CallDeadline {
  private readonly controller = new AbortController();
  private readonly timers: NodeJS.Timeout[] = [];
  private idleTimer: NodeJS.Timeout | undefined;
  private why: 'cancelled' | 'timeout' | 'idle' | undefined;
  private readonly onParentAbort = () => this.abort('cancelled');

  constructor(
    private readonly options: {
      signal?: AbortSignal | undefined;
      timeoutMs?: number | undefined;
      idleTimeoutMs?: number | undefined;
      what: string;
    },
  ) {
    if (options.signal?.aborted) this.abort('cancelled');
    options.signal?.addEventListener('abort', this.onParentAbort, { once: true });
    if (options.timeoutMs) this.timers.push(setTimeout(() => this.abort('timeout'), options.timeoutMs));
    this.touch();
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  get aborted(): boolean {
    return this.why !== undefined;
  }

  /** Data arrived: restart the idle timer. */
  touch(): void {
    if (!this.options.idleTimeoutMs || this.why) return;
    clearTimeout(this.idleTimer);
    this.idleTimer = setTimeout(() => this.abort('idle'), this.options.idleTimeoutMs);
  }

  /** The error to throw after the signal fired, naming the limit that fired it. */
  error(cause?: unknown): ProviderError {
    const { what, timeoutMs, idleTimeoutMs } = this.options;
    if (this.why === 'cancelled')
      return new ProviderError(ProviderErrorKind.Cancelled, `${what} was cancelled`, { cause });
    const message =
      this.why === 'idle'
        ? `${what} got no data for ${idleTimeoutMs} ms (idleTimeoutMs)`
        : `${what} took longer than ${timeoutMs} ms (timeoutMs)`;
    return new ProviderError(ProviderErrorKind.Timeout, message, { cause });
  }

  dispose(): void {
    for (const timer of this.timers) clearTimeout(timer);
    clearTimeout(this.idleTimer);
    this.options.signal?.removeEventListener('abort', this.onParentAbort);
  }

  private abort(why: 'cancelled' | 'timeout' | 'idle'): void {
    if (this.why) return;
    this.why = why;
    this.dispose();
    this.controller.abort(this.error());
  }
}
