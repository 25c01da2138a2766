// Retrying one Binding inside the time the scheduler still waits for the answer. Only failures that
// trying again can cure are retried (the API server failed or did not answer; a refusal is final),
// with a doubling pause, and never past the deadline: an answer after the scheduler's extender
// httpTimeout helps nobody, the scheduler has already given up on the pod. Once an attempt may have
// landed, the result says so even if later attempts were refused.
import type { Clock } from '../../core/types.js';
import type { BindAttempt } from './binding-writer.js';

export interface BindRetryTiming {
  readonly clock: Clock;
  /** Clock time after which no further attempt starts. */
  readonly deadline: number;
  readonly sleep: (ms: number) => Promise<void>;
  /** First pause; default 200 ms, doubling up to maxDelayMs (default 2 s). */
  readonly initialDelayMs?: number;
  readonly maxDelayMs?: number;
}

/** A timer that never keeps the process alive on its own. */
export const timerSleep = (ms: number): Promise<void> =>
  new Promise((resolve) => setTimeout(resolve, ms).unref?.());

export async function bindWithRetry(
  attempt: () => Promise<BindAttempt>,
  timing: BindRetryTiming,
): Promise<BindAttempt> {
  let delay = timing.initialDelayMs ?? 200;
  let maybeBound = false;
  for (;;) {
    const outcome = await attempt();
    if (outcome.kind === 'bound') return outcome;
    // An attempt that may have landed is not undone by a later refusal (a 403 says nothing about
    // the earlier request): the pod may be bound, whatever the last answer was.
    maybeBound ||= outcome.maybeBound;
    const last = maybeBound && !outcome.maybeBound ? { ...outcome, maybeBound } : outcome;
    if (!outcome.retry || timing.clock.now() + delay >= timing.deadline) return last;
    await timing.sleep(delay);
    delay = Math.min(timing.maxDelayMs ?? 2_000, delay * 2);
  }
}
