import { describe, expect, it } from 'vitest';
import { renderTable } from '../../testbed/demo-table.js';

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
