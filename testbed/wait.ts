// Polling with deadlines for the e2e suite: nothing waits a fixed time for the cluster to settle.
export interface WaitOptions {
  readonly timeoutMs?: number;
  readonly intervalMs?: number;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Calls `probe` until it returns a value other than undefined and returns it. After `timeoutMs`
 * throws, naming `what` and the last thing `describe` said about the state (for a useful failure).
 */
export async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  opts: WaitOptions & { readonly describe?: () => Promise<string> } = {},
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
    if (Date.now() > deadline) {
      const state = opts.describe ? await opts.describe().catch((e: unknown) => String(e)) : '';
      const error = lastError instanceof Error ? ` (last error: ${lastError.message})` : '';
      throw new Error(
        `timed out after ${timeoutMs} ms waiting for ${what}${error}${state ? `: ${state}` : ''}`,
      );
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
