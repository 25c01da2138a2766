import { describe, expect, it } from 'vitest';
import type { Holding } from '../../../src/core/ledger/gpu-ledger.js';
import { UNKNOWN_NAMESPACE, gpuMilliByNamespace } from '../../../src/core/ledger/namespace-usage.js';

const held = (uid: string, milli: number[], extra: Partial<Holding> = {}): Holding => ({
  uid,
  state: 'committed',
  assignment: {
    node: 'n',
    whole: milli.every((m) => m === 1000),
    devices: milli.map((m, index) => ({ index, milli: m, memoryBytes: 0 })),
  },
  ...extra,
});

describe('gpuMilliByNamespace', () => {
  it('sums committed shares per namespace, whole devices at 1000 each', () => {
    const ns: Record<string, string> = { a: 'team-a', b: 'team-a', c: 'team-b' };
    const usage = gpuMilliByNamespace(
      [held('a', [250]), held('b', [1000, 1000]), held('c', [500])],
      (uid) => ns[uid],
    );
    expect(usage).toEqual(
      new Map([
        ['team-a', 2250],
        ['team-b', 500],
      ]),
    );
  });

  it('leaves out reservations and displaced holdings, and files unknown pods apart', () => {
    const usage = gpuMilliByNamespace(
      [
        held('r', [500], { state: 'reserved', expiresAt: 1 }),
        held('d', [1000], { displaced: true }),
        held('x', [300]),
      ],
      () => undefined,
    );
    expect(usage).toEqual(new Map([[UNKNOWN_NAMESPACE, 300]]));
  });
});
