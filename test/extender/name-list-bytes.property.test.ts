// Reading node-name lists as bytes must agree with reading them as JSON: the spans are the names
// JSON.parse would give, and a list matches a kept one exactly when it holds the same names once each.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { NameIndex, NameSpans } from '../../src/extender/name-list-bytes.js';

const plainName = fc.stringMatching(/^[a-z0-9.-]{1,6}$/);
const anyName = fc.oneof(plainName, fc.string({ maxLength: 4 }), fc.constantFrom('a"b', 'a\\b', 'é', 'x y'));

function listBytes(names: readonly string[]): { bytes: Buffer; open: number } {
  const bytes = Buffer.from(`{"NodeNames":${JSON.stringify(names)}}`);
  return { bytes, open: '{"NodeNames":'.length };
}

function isPermutation(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length || new Set(a).size !== a.length) return false;
  const set = new Set(a);
  return new Set(b).size === b.length && b.every((n) => set.has(n));
}

describe('name lists read as bytes', () => {
  it('finds the very names JSON.parse finds, or refuses a list that is not plain', () => {
    fc.assert(
      fc.property(fc.array(anyName, { maxLength: 8 }), (names) => {
        const { bytes, open } = listBytes(names);
        const spans = new NameSpans();
        const end = spans.scan(bytes, open);
        const plain = names.every((n) => /^[\x20-\x7e]+$/.test(n) && !/["\\]/.test(n));
        if (!plain) {
          expect(end).toBe(-1);
          return;
        }
        expect(end).toBe(bytes.length - 1);
        const read = Array.from({ length: spans.count }, (_, i) =>
          bytes.toString('latin1', spans.starts[i], spans.ends[i]),
        );
        expect(read).toEqual(names);
      }),
      { numRuns: 500 },
    );
  });

  it('matches a list exactly when it holds the kept names once each, in any order', () => {
    const names = fc.array(plainName, { maxLength: 8 });
    fc.assert(
      fc.property(names, names, fc.boolean(), (kept, other, shuffle) => {
        const request = shuffle ? [...kept].reverse() : other;
        const keptBytes = listBytes(kept);
        const index = NameIndex.of(keptBytes.bytes, keptBytes.open, new NameSpans());
        if (new Set(kept).size !== kept.length) {
          expect(index).toBeUndefined(); // a list with repeats is matched byte for byte only
          return;
        }
        expect(index).toBeDefined();
        const { bytes, open } = listBytes(request);
        const spans = new NameSpans();
        expect(spans.scan(bytes, open)).toBe(bytes.length - 1);
        // Twice: the marks of one check must not leak into the next.
        expect(index!.matches(bytes, spans)).toBe(isPermutation(kept, request));
        expect(index!.matches(bytes, spans)).toBe(isPermutation(kept, request));
      }),
      { numRuns: 1000 },
    );
  });

  it('refuses malformed arrays: unclosed, empty names, missing commas, other values', () => {
    const spans = new NameSpans();
    for (const text of ['["a","b"', '["a",""]', '["a" "b"]', '["a",1]', '["a",]', '[a]', '["a"\n]']) {
      expect(spans.scan(Buffer.from(text), 0)).toBe(-1);
    }
    expect(spans.scan(Buffer.from('[]'), 0)).toBe(2);
    expect(spans.count).toBe(0);
  });

  it('grows past its first capacity and keeps every span', () => {
    const many = Array.from({ length: 3000 }, (_, i) => `n${i}`);
    const { bytes, open } = listBytes(many);
    const spans = new NameSpans();
    expect(spans.scan(bytes, open)).toBe(bytes.length - 1);
    expect(spans.count).toBe(3000);
    expect(bytes.toString('latin1', spans.starts[2999], spans.ends[2999])).toBe('n2999');
    const index = NameIndex.of(bytes, open, new NameSpans())!;
    expect(index.matches(bytes, spans)).toBe(true);
  });
});
