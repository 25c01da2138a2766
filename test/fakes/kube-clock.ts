// The one fake Clock (src/core/types.ts) of the test suite: time moves only when a test advances it.
export class FakeClock {
  ms: number;
  constructor(ms = 1_700_000_000_000) {
    this.ms = ms;
  }
  now(): number {
    return this.ms;
  }
  advance(ms: number): void {
    this.ms += ms;
  }
}
