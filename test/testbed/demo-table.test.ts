import { describe, expect, it } from 'vitest';
import { compactUuids, gpuUuidCell, renderTable } from '../../testbed/demo-table.js';

describe('renderTable', () => {
  it('pads every column to its widest cell and rules the header', () => {
    const text = renderTable(
      ['pod', 'node'],
      [
        ['a', 'leaf-a1-c1-n0'],
        ['giant-0', 'pending'],
      ],
    );
    expect(text.split('\n')).toEqual([
      'pod      node',
      '───────  ─────────────',
      'a        leaf-a1-c1-n0',
      'giant-0  pending',
    ]);
  });

  it('treats missing cells as empty', () => {
    expect(renderTable(['a', 'b'], [['x']]).split('\n')[2]).toBe('x');
  });
});

describe('gpuUuidCell', () => {
  it("shows a share's UUID from its decision annotation, before any allocation", () => {
    expect(gpuUuidCell('GPU-leaf-a1-c1-n0-7', undefined)).toBe('GPU-leaf-a1-c1-n0-7');
    expect(gpuUuidCell('GPU-leaf-a1-c1-n0-7', ['GPU-other-0'])).toBe('GPU-leaf-a1-c1-n0-7');
  });

  it("shows a whole-GPU pod's devices as the device plugin allocated them", () => {
    expect(gpuUuidCell(undefined, ['GPU-n0-3'])).toBe('GPU-n0-3');
    expect(gpuUuidCell(undefined, ['GPU-n0-7', 'GPU-n0-6'])).toBe('GPU-n0-{6,7}');
  });

  it('shows "-" when neither is known (pending, or not allocated yet)', () => {
    expect(gpuUuidCell(undefined, undefined)).toBe('-');
    expect(gpuUuidCell('', [])).toBe('-');
  });
});

describe('compactUuids', () => {
  it('names the common prefix once, up to a dash, tails in natural order', () => {
    const eight = Array.from({ length: 8 }, (_, i) => `GPU-leaf-a1-c1-n0-${7 - i}`);
    expect(compactUuids(eight)).toBe('GPU-leaf-a1-c1-n0-{0,1,2,3,4,5,6,7}');
    expect(compactUuids(['GPU-n-10', 'GPU-n-1', 'GPU-n-2'])).toBe('GPU-n-{1,2,10}');
  });

  it('keeps real UUIDs whole after the shared "GPU-"', () => {
    expect(
      compactUuids(['GPU-5b4a1c2e-0000-1111-2222-333344445555', 'GPU-5b9f0d1e-aaaa-bbbb-cccc-ddddeeeeffff']),
    ).toBe('GPU-{5b4a1c2e-0000-1111-2222-333344445555,5b9f0d1e-aaaa-bbbb-cccc-ddddeeeeffff}');
  });

  it('lists UUIDs without a common prefix, and a single one, as they are', () => {
    expect(compactUuids(['b-1', 'a-1'])).toBe('a-1,b-1');
    expect(compactUuids(['GPU-x'])).toBe('GPU-x');
    expect(compactUuids([])).toBe('');
  });
});
