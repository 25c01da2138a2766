import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { countableShareMilli } from '../../../src/core/admission/admission-rules.js';

describe('countableShareMilli', () => {
  it('memory share is the smallest milli whose part of the largest device holds the memory', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 192 * 1024 }),
        fc.integer({ min: 1, max: 192 * 1024 }),
        (aMiB, bMiB) => {
          const memory = Math.min(aMiB, bMiB) * 1024 * 1024;
          const max = Math.max(aMiB, bMiB) * 1024 * 1024;
          const milli = countableShareMilli({ kind: 'memory', memoryBytes: memory }, max);
          expect(milli).toBeGreaterThanOrEqual(1);
          expect(milli).toBeLessThanOrEqual(999);
          if (milli === undefined || milli === 999) return;
          expect(BigInt(milli) * BigInt(max)).toBeGreaterThanOrEqual(1000n * BigInt(memory));
          if (milli > 1) expect(BigInt(milli - 1) * BigInt(max)).toBeLessThan(1000n * BigInt(memory));
        },
      ),
    );
  });
});
