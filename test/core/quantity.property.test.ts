import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  formatBytes,
  formatMilli,
  parseCpuMilli,
  parseFractionMilli,
  parseMemoryBytes,
} from '../../src/core/quantity.js';

describe('parseMemoryBytes', () => {
  it('is exact for integer amounts of every binary unit', () => {
    const units: [string, bigint][] = [
      ['Ki', 1024n],
      ['Mi', 1024n ** 2n],
      ['Gi', 1024n ** 3n],
      ['Ti', 1024n ** 4n],
    ];
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 4096 }), fc.constantFrom(...units), (n, [suffix, size]) => {
        expect(parseMemoryBytes(`${n}${suffix}`, 'm')).toBe(Number(BigInt(n) * size));
      }),
    );
  });

  it('rounds decimal amounts up to the next byte without float drift', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 100_000 }),
        fc.integer({ min: 0, max: 999 }),
        (whole, thousandths) => {
          const text = `${whole}.${String(thousandths).padStart(3, '0')}Ki`;
          const numerator = BigInt(whole * 1000 + thousandths) * 1024n;
          const expected = (numerator + 999n) / 1000n;
          expect(parseMemoryBytes(text, 'm')).toBe(Number(expected));
        },
      ),
    );
  });
});

describe('parseFractionMilli', () => {
  it('maps every milli written as a decimal back to itself', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 999 }), (milli) => {
        expect(parseFractionMilli(`0.${String(milli).padStart(3, '0')}`, 'f')).toBe(milli);
      }),
    );
  });

  it('keeps any fraction in (0, 1) within 1..999 and within half a milli of its value', () => {
    fc.assert(
      fc.property(fc.double({ min: 0, max: 1, noNaN: true, minExcluded: true, maxExcluded: true }), (x) => {
        const milli = parseFractionMilli(String(x), 'f');
        expect(milli).toBeGreaterThanOrEqual(1);
        expect(milli).toBeLessThanOrEqual(999);
        if (x >= 0.0015 && x <= 0.9985) expect(Math.abs(milli - x * 1000)).toBeLessThanOrEqual(0.5 + 1e-9);
      }),
    );
  });
});

describe('formatting', () => {
  it('round-trips bytes through formatBytes and parseMemoryBytes', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }), (bytes) => {
        expect(parseMemoryBytes(formatBytes(bytes), 'm')).toBe(bytes);
      }),
    );
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 2 ** 20 }),
        fc.constantFrom(1024, 1024 ** 2, 1024 ** 3),
        (n, unit) => {
          expect(parseMemoryBytes(formatBytes(n * unit), 'm')).toBe(n * unit);
        },
      ),
    );
  });

  it('round-trips milli through formatMilli and parseCpuMilli (same milli notation)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 10_000_000 }), (milli) => {
        expect(parseCpuMilli(formatMilli(milli), 'm')).toBe(milli);
      }),
    );
  });
});
