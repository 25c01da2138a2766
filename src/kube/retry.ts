// The one retry loop and the one sleep of the API adapters: an operation retried with exponential
// backoff, for writes that must eventually land (caBundle, leader label, node capacity).

/** A timer that never keeps the process alive on its own. */
export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms).unref());

export interface RetryOptions {
  readonly attempts: number;
  readonly initialDelayMs: number;
  readonly maxDelayMs: number;
  /** Injected for tests. */
  readonly sleep?: (ms: number) => Promise<void>;
  /** Checked before every attempt: false ends the loop without trying again (the work is outdated). */
  readonly stillWanted?: () => boolean;
  /** Told of each failure; returning 'stop' gives up at once (the error cannot be cured by waiting). */
  readonly onFailure?: (err: unknown, attempt: number) => 'stop' | undefined;
}

export type RetryResult<T> =
  | { readonly ok: true; readonly value: T; readonly attempts: number }
  | { readonly ok: false; readonly error: unknown; readonly attempts: number }
  | { readonly ok: false; readonly outdated: true; readonly attempts: number };

export async function retryWithBackoff<T>(
  operation: (attempt: number) => Promise<T>,
  opts: RetryOptions,
): Promise<RetryResult<T>> {
  const attempts = Math.max(1, opts.attempts);
  const wait = opts.sleep ?? sleep;
  let delay = opts.initialDelayMs;
  for (let attempt = 1; ; attempt += 1) {
    if (opts.stillWanted?.() === false) return { ok: false, outdated: true, attempts: attempt - 1 };
    try {
      return { ok: true, value: await operation(attempt), attempts: attempt };
    } catch (error) {
      if (opts.onFailure?.(error, attempt) === 'stop' || attempt >= attempts) {
        return { ok: false, error, attempts: attempt };
      }
      await wait(delay);
      delay = Math.min(opts.maxDelayMs, delay * 2);
    }
  }
}
