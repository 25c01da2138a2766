import { describe, expect, it } from 'vitest';
import { QuantityError } from '../../src/core/errors.js';
import {
  formatBytes,
  formatGpus,
  formatMilli,
  mibToBytes,
  parseCount,
  parseCpuMilli,
  parseFractionMilli,
  parseMemoryBytes,
  parseMemoryBytesDefaultMiB,
  parseQuantity,
} from '../../src/core/quantity.js';

function thrown(fn: () => unknown): QuantityError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(QuantityError);
    return error as QuantityError;
  }
  throw new Error('expected a QuantityError');
}

describe('parseQuantity', () => {
  it.each<[string | number, number]>([
    ['2', 2],
    ['500m', 0.5],
    ['1Gi', 1073741824],
    ['1G', 1_000_000_000],
    ['1e3', 1000],
    ['1E3', 1000],
    ['2k', 2000],
    ['1.5', 1.5],
    ['.5', 0.5],
    ['+3', 3],
    ['-1', -1],
    ['1.', 1],
    [' 4 ', 4],
    [4, 4],
    [0.25, 0.25],
  ])('%j → %d', (input, expected) => {
    expect(parseQuantity(input, 'f')).toBe(expected);
  });

  it.each(['', 'abc', '1.2.3', '1 Gi', '1gi', '1Ki5', '1e', '0x10', 'Infinity', '--1', '1K'])(
    'rejects %j as not a quantity, naming the field',
    (input) => {
      const error = thrown(() => parseQuantity(input, 'spec.x'));
      expect(error.field).toBe('spec.x');
      expect(error.rule).toBe('not-a-number');
      expect(error.message).toBe(
        `spec.x: ${JSON.stringify(input)} is not a Kubernetes quantity (e.g. "2", "500m", "20Gi")`,
      );
    },
  );

  it('rejects non-finite numbers and absurd exponents', () => {
    expect(thrown(() => parseQuantity(Number.NaN, 'f')).rule).toBe('not-a-number');
    expect(thrown(() => parseQuantity('1e400', 'f')).rule).toBe('too-large');
    expect(thrown(() => parseQuantity('1'.repeat(80), 'f')).rule).toBe('not-a-number');
  });
});

describe('parseMemoryBytes', () => {
  it.each<[string | number, number]>([
    ['20Gi', 21474836480],
    ['512Mi', 536870912],
    ['80G', 80_000_000_000],
    ['1048576', 1048576],
    ['1.5Ki', 1536],
    ['0.1Gi', 107374183], // 107374182.4 rounds up
    ['0.5', 1],
    ['100m', 1],
    ['1e3', 1000],
    ['0', 0],
    ['7Pi', 7881299347898368],
    [2048, 2048],
  ])('%j → %d bytes', (input, expected) => {
    expect(parseMemoryBytes(input, 'mem')).toBe(expected);
  });

  it('rejects negative memory', () => {
    const error = thrown(() => parseMemoryBytes('-1Gi', 'mem'));
    expect([error.field, error.rule]).toEqual(['mem', 'negative']);
    expect(error.message).toBe('mem: "-1Gi" must not be negative (bytes)');
  });

  it('rejects amounts past 2^53 bytes instead of losing precision', () => {
    const error = thrown(() => parseMemoryBytes('8Pi', 'mem'));
    expect([error.field, error.rule]).toEqual(['mem', 'too-large']);
  });
});

describe('parseMemoryBytesDefaultMiB', () => {
  it.each<[string, number]>([
    ['20000', 20971520000],
    ['1024', 1073741824],
    ['0.5', 524288],
    ['1e1', 10485760],
    ['20Gi', 21474836480],
    ['80G', 80_000_000_000],
    ['1024Ki', 1048576],
  ])('%j → %d bytes (bare numbers are MiB)', (input, expected) => {
    expect(parseMemoryBytesDefaultMiB(input, 'gm')).toBe(expected);
  });

  it('rejects negatives and text', () => {
    expect(thrown(() => parseMemoryBytesDefaultMiB('-5', 'gm')).rule).toBe('negative');
    expect(thrown(() => parseMemoryBytesDefaultMiB('20GB', 'gm')).rule).toBe('not-a-number');
  });
});

describe('parseCpuMilli', () => {
  it.each<[string, number]>([
    ['2', 2000],
    ['250m', 250],
    ['0.1', 100],
    ['1.0005', 1001],
    ['0.0001', 1],
    ['0', 0],
  ])('%j → %d milli-CPU', (input, expected) => {
    expect(parseCpuMilli(input, 'cpu')).toBe(expected);
  });

  it('rejects negative CPU', () => {
    expect(thrown(() => parseCpuMilli('-1', 'cpu')).rule).toBe('negative');
  });
});

describe('parseCount', () => {
  it.each<[string | number, number]>([
    ['2', 2],
    [3, 3],
    ['1e1', 10],
    ['2000m', 2],
    ['0', 0],
  ])('%j → %d', (input, expected) => {
    expect(parseCount(input, 'n')).toBe(expected);
  });

  it.each<[string, string]>([
    ['1.5', 'not-an-integer'],
    ['500m', 'not-an-integer'],
    ['-1', 'negative'],
    ['two', 'not-a-number'],
  ])('rejects %j (%s)', (input, rule) => {
    const error = thrown(() => parseCount(input, 'limits[nvidia.com/gpu]'));
    expect([error.field, error.rule]).toEqual(['limits[nvidia.com/gpu]', rule]);
  });

  it('says what a count must be', () => {
    expect(thrown(() => parseCount('1.5', 'n')).message).toBe('n: "1.5" must be a whole number');
  });
});

describe('parseFractionMilli', () => {
  const field = 'annotation phalanx.dev/gpu-fraction';

  it.each<[string, number]>([
    ['0.5', 500],
    ['0.25', 250],
    ['.75', 750],
    ['0.1', 100],
    ['0.3333', 333],
    ['0.0005', 1], // half up
    ['0.0004', 1], // rounds to 0, clamped to the smallest share
    ['0.9995', 999], // rounds to 1000, clamped below a whole device
    ['0.999', 999],
    ['5e-1', 500],
    [' 0.5 ', 500],
    ['0.00000000000000000001', 1],
  ])('%j → %d milli', (input, expected) => {
    expect(parseFractionMilli(input, field)).toBe(expected);
  });

  it.each(['1.5', '0', '1', '1.0', '-0.5', '0.0', '2', '10e-1'])('rejects %j as outside (0, 1)', (input) => {
    const error = thrown(() => parseFractionMilli(input, field));
    expect([error.field, error.rule]).toEqual([field, 'out-of-range']);
    expect(error.message).toBe(
      `annotation phalanx.dev/gpu-fraction: ${JSON.stringify(input)} must be a number in (0, 1)`,
    );
  });

  it.each(['abc', '50%', '0.5m', '', '1/2', 'NaN', '0.5Gi'])('rejects %j as not a number', (input) => {
    const error = thrown(() => parseFractionMilli(input, field));
    expect([error.field, error.rule]).toEqual([field, 'not-a-number']);
  });
});

describe('formatting', () => {
  it.each<[number, string]>([
    [21474836480, '20Gi'],
    [536870912, '512Mi'],
    [1024, '1Ki'],
    [1536, '1536'],
    [0, '0'],
    [1, '1'],
    [3 * 1024 ** 4, '3Ti'],
  ])('formatBytes(%d) = %s', (bytes, text) => {
    expect(formatBytes(bytes)).toBe(text);
  });

  it.each<[number, string]>([
    [500, '500m'],
    [2000, '2'],
    [0, '0'],
    [1500, '1500m'],
  ])('formatMilli(%d) = %s', (milli, text) => {
    expect(formatMilli(milli)).toBe(text);
  });

  it.each<[number, string]>([
    [500, '0.5 GPU'],
    [1000, '1 GPU'],
    [2250, '2.25 GPUs'],
    [5, '0.005 GPU'],
    [8000, '8 GPUs'],
  ])('formatGpus(%d) = %s', (milli, text) => {
    expect(formatGpus(milli)).toBe(text);
  });
});

describe('mibToBytes', () => {
  it('converts GPU Feature Discovery MiB to bytes', () => {
    expect(mibToBytes(81559)).toBe(85520809984);
    expect(mibToBytes(0)).toBe(0);
  });

  it('rejects negative or non-finite MiB', () => {
    expect(thrown(() => mibToBytes(-1)).rule).toBe('out-of-range');
    expect(thrown(() => mibToBytes(Number.POSITIVE_INFINITY)).rule).toBe('out-of-range');
  });
});
