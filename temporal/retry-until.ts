/**
 * Calls `attempt` every `everyMs` until it resolves with a value (not undefined), and answers that
 * value. An attempt that throws or answers undefined is tried again; past `timeoutMs`, the error
 * `timeoutError` makes from the last attempt's error (undefined when it only answered nothing) is thrown.
 */
export async function retryUntil<T>(
  attempt: () => Promise<T | undefined>,
  {
    timeoutMs,
    everyMs = 250,
    timeoutError,
  }: { timeoutMs: number; everyMs?: number; timeoutError: (lastError: unknown) => Error },
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    let lastError: unknown;
    try {
      const value = await attempt();
      if (value !== undefined) return value;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() > deadline) throw timeoutError(lastError);
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}
