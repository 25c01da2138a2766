import { describe, expect, it } from 'vitest';
import { gangSequence } from '../../../benchmarks/topology/gang-sequence.js';

describe('gangSequence', () => {
  it('is the same for the same seed and differs for another', () => {
    expect(gangSequence(11, 832)).toEqual(gangSequence(11, 832));
    expect(gangSequence(11, 832).map((g) => g.size)).not.toEqual(gangSequence(12, 832).map((g) => g.size));
  });

  it('offers at least the capacity, and stops at the first gang that reaches it', () => {
    const gangs = gangSequence(3, 500);
    const demand = gangs.reduce((s, g) => s + g.size * g.gpusPerMember, 0);
    const last = gangs.at(-1);
    expect(demand).toBeGreaterThanOrEqual(500);
    expect(demand - (last?.size ?? 0) * 4).toBeLessThan(500);
    expect(new Set(gangs.map((g) => g.name)).size).toBe(gangs.length);
  });
});
