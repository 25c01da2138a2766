import { describe, expect, it } from 'vitest';
import type { ReplayJobResult } from '../../benchmarks/replay/jobs.js';
import { cells, pairedGap } from '../../benchmarks/replay/summary.js';

const result = (trace: string, policy: 'fgd' | 'phalanx', seed: number, value: number, label?: string) =>
  ({
    job: { trace, policy, seed, ...(label ? { label } : {}) },
    seed,
    unallocatedPctAt100: value,
    submittedPods: 10,
    failedPods: 1,
    seconds: 0.5,
    curve: [],
  }) satisfies ReplayJobResult;

describe('replay matrix summary', () => {
  const results = [
    result('default', 'fgd', 43, 5.0),
    result('default', 'fgd', 42, 4.0),
    result('default', 'phalanx', 42, 3.5),
    result('default', 'phalanx', 43, 5.5),
    result('default', 'phalanx', 44, 9.0),
    result('default', 'phalanx', 42, 4.2, 'phalanx-heldout'),
  ];

  it('keeps one cell per trace and label, seeds in order, never averaged across labels', () => {
    const row = cells(results).get('default');
    expect([...(row?.keys() ?? [])].sort()).toEqual(['fgd', 'phalanx', 'phalanx-heldout']);
    const fgd = row?.get('fgd');
    expect(fgd?.perSeed.map((s) => s.seed)).toEqual([42, 43]);
    expect(fgd?.mean).toBeCloseTo(4.5, 12);
    expect([fgd?.min, fgd?.max]).toEqual([4.0, 5.0]);
    expect(row?.get('phalanx-heldout')?.mean).toBeCloseTo(4.2, 12);
  });

  it('pairs the gap by seed, ignoring seeds only one side has', () => {
    const row = cells(results).get('default');
    // seeds 42 and 43: (3.5 - 4.0 + 5.5 - 5.0) / 2 = 0; seed 44 has no fgd replay.
    expect(pairedGap(row?.get('phalanx'), row?.get('fgd'))).toBeCloseTo(0, 12);
    expect(pairedGap(row?.get('phalanx-heldout'), row?.get('fgd'))).toBeCloseTo(0.2, 12);
    expect(pairedGap(undefined, row?.get('fgd'))).toBeNaN();
  });
});
