// Creates sent whose object is not seen yet (by the informer, or in a list). The reconcile leaves
// them out of the next pass so it does not send them again while the watch lags; but a create whose
// answer was lost must not hold its object back for ever, so after CREATE_SEEN_WITHIN_MS it is
// forgotten and the next pass sends it again (names are deterministic: a create that did land just
// answers "exists").

/** A create sent but not seen is sent again after this long. */
export const CREATE_SEEN_WITHIN_MS = 30_000;

export class CreatesInFlight {
  /** Name → when its create was sent (ms). */
  readonly #sentAt = new Map<string, number>();

  sent(name: string, now: number): void {
    this.#sentAt.set(name, now);
  }

  /** Its object was seen, or its create failed: nothing is in flight under that name any more. */
  settled(name: string): void {
    this.#sentAt.delete(name);
  }

  /** The names still in flight at `now`; the ones sent too long ago are forgotten. */
  pending(now: number): Set<string> {
    for (const [name, at] of this.#sentAt) if (now - at > CREATE_SEEN_WITHIN_MS) this.#sentAt.delete(name);
    return new Set(this.#sentAt.keys());
  }
}
