// Bounded waits for victims to leave the ledger, woken by the ledger's node changes: filter waits on
// these when kube-scheduler offers a node that Phalanx still sees taken by a pod's own victims.
import type { GpuLedger } from '../../core/ledger/gpu-ledger.js';

/**
 * How long filter waits, once per preemption, for its victims to leave Phalanx's view. Informers
 * trail one another by milliseconds, by a second or two on a starved replica; kube-scheduler's loop
 * waits meanwhile (its extender httpTimeout is 30 s in deploy/).
 */
export const VICTIM_RELEASE_WAIT_MS = 2_000;

interface Waiter {
  readonly nodes: ReadonlySet<string>;
  readonly released: () => boolean;
  readonly done: (released: boolean) => void;
}

export class ReleaseWaiters {
  readonly #waiters = new Set<Waiter>();
  /** The preemptions (a verb's choice, a hold) already waited for: the wait is not repeated. */
  readonly #waited = new WeakSet<object>();
  readonly #waitMs: number;

  constructor(ledger: Pick<GpuLedger, 'onNodeChange'>, waitMs = VICTIM_RELEASE_WAIT_MS) {
    this.#waitMs = waitMs;
    ledger.onNodeChange((node) => {
      for (const waiter of [...this.#waiters]) {
        if (waiter.nodes.has(node) && waiter.released()) waiter.done(true);
      }
    });
  }

  /**
   * Resolves to undefined once `released()` holds after a change on one of `nodes`, or to `reason`
   * after the bound; at once to `reason` when this `preemption` was waited for already.
   */
  waitOnce(
    preemption: object,
    nodes: ReadonlySet<string>,
    released: () => boolean,
    reason: string,
  ): Promise<string | undefined> {
    if (this.#waited.has(preemption)) return Promise.resolve(reason);
    this.#waited.add(preemption);
    return this.#wait(nodes, released).then((ok) => (ok ? undefined : reason));
  }

  #wait(nodes: ReadonlySet<string>, released: () => boolean): Promise<boolean> {
    return new Promise<boolean>((resolve) => {
      const waiter: Waiter = {
        nodes,
        released,
        done: (ok) => {
          clearTimeout(timer);
          this.#waiters.delete(waiter);
          resolve(ok);
        },
      };
      const timer = setTimeout(() => waiter.done(false), this.#waitMs);
      timer.unref?.();
      this.#waiters.add(waiter);
    });
  }
}
