/** How a supervisor restarts a part that crashed: backoff, and a limit of restarts in a window. */
export type RestartPolicy = {
  /** Restarts allowed within `windowMs`; one more and the supervisor gives up. */
  maxRestarts: number;
  windowMs: number;
  /** The first restart's delay; each restart still in the window doubles it, up to `maxDelayMs`. */
  baseDelayMs: number;
  maxDelayMs: number;
};

export const defaultRestartPolicy: RestartPolicy = {
  maxRestarts: 5,
  windowMs: 60_000,
  baseDelayMs: 500,
  maxDelayMs: 8_000,
};

export type RestartDecision =
  { restart: true; delayMs: number; attempt: number } | { restart: false; restartsInWindow: number };

/**
 * The restart history of one part. Pure (the caller passes the time), so the backoff and the limit
 * are unit-tested without processes.
 */
export class RestartTracker {
  private readonly times: number[] = [];
  total = 0;

  constructor(private readonly policy: RestartPolicy = defaultRestartPolicy) {}

  /** Records a crash at `now` and says whether to restart, and after how long. */
  crashed(now: number): RestartDecision {
    while (this.times.length > 0 && now - (this.times[0] ?? 0) > this.policy.windowMs) this.times.shift();
    if (this.times.length >= this.policy.maxRestarts) {
      return { restart: false, restartsInWindow: this.times.length };
    }
    const delayMs = Math.min(this.policy.baseDelayMs * 2 ** this.times.length, this.policy.maxDelayMs);
    this.times.push(now);
    this.total += 1;
    return { restart: true, delayMs, attempt: this.times.length };
  }
}
