// A manually advanced clock for src/kube tests.
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
