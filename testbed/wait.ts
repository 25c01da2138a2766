// Polling with deadlines for the e2e suite: nothing waits a fixed time for the cluster to settle.
export interface WaitOptions {
  readonly timeoutMs?: number;
  readonly intervalMs?: number;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export interface WaitForOptions extends WaitOptions {
  /** What the state is, for the failure message. */
  readonly describe?: () => Promise<string>;
  /** Says why waiting longer is pointless (e.g. the process waited for has exited), or undefined. */
  readonly hopeless?: () => string | undefined;
}

/**
 * Calls `probe` until it returns a value other than undefined and returns it. After `timeoutMs`,
 * or as soon as `hopeless` names a reason, throws, naming `what` and the last thing `describe` said
 * about the state (for a useful failure).
 */
export async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  opts: WaitForOptions = {},
): Promise<T> {
  const timeoutMs = opts.timeoutMs ?? 60_000;
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (err) {
      lastError = err;
    }
    const hopeless = opts.hopeless?.();
    if (hopeless !== undefined || Date.now() > deadline) {
      const state = opts.describe ? await opts.describe().catch((e: unknown) => String(e)) : '';
      const error = lastError instanceof Error ? ` (last error: ${lastError.message})` : '';
      const why = hopeless ?? `timed out after ${timeoutMs} ms`;
      throw new Error(`${why} waiting for ${what}${error}${state ? `: ${state}` : ''}`);
    }
    await sleep(opts.intervalMs ?? 250);
  }
}

/**
 * Checks that `violation` stays undefined for `durationMs` (polled), e.g. "no pod of the losing gang
 * gets bound". Returns the first violation seen, or undefined when the condition held throughout.
 */
export async function firstViolationWithin(
  durationMs: number,
  violation: () => Promise<string | undefined>,
  intervalMs = 500,
): Promise<string | undefined> {
  const end = Date.now() + durationMs;
  for (;;) {
    const found = await violation();
    if (found !== undefined) return found;
    if (Date.now() >= end) return undefined;
    await sleep(Math.min(intervalMs, Math.max(0, end - Date.now())));
  }
}
