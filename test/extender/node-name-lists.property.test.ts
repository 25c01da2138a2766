// The node-name list memo must read every body exactly as JSON.parse does, whatever the bodies in
// between: lists repeated, reordered, nested in strings, given twice, or written with other spacing.
import fc from 'fast-check';
import { describe, expect, it, vi } from 'vitest';
import { NodeNameLists } from '../../src/extender/node-name-lists.js';

const name = fc.oneof(
  fc.constantFrom('node-1', 'node-2', 'gpu-a', 'gpu-b', 'n'),
  fc.string({ minLength: 1, maxLength: 6 }),
  // Text that looks like the list's own syntax.
  fc.constantFrom('"NodeNames":[', '\\', '"]}', ',"', '{"'),
);
const list = fc.array(name, { maxLength: 6 });
const annotation = fc.oneof(
  fc.string({ maxLength: 8 }),
  list.map((names) => `"NodeNames":${JSON.stringify(names)}}`),
  list.map((names) => `,"NodeNames":${JSON.stringify(names)}}`),
);

/** Bodies as Go writes them, and variants it never writes (other key order, spaces, duplicate keys). */
const body = fc
  .record({
    names: list,
    podName: fc.string({ maxLength: 6 }),
    note: annotation,
    form: fc.constantFrom('go', 'spaced', 'namesFirst', 'duplicate', 'nullNames', 'nestedTail'),
  })
  .map(({ names, podName, note, form }) => {
    const pod = { metadata: { name: podName, uid: 'u', annotations: { note } } };
    const go = `{"Pod":${JSON.stringify(pod)},"Nodes":null,"NodeNames":${JSON.stringify(names)}}`;
    switch (form) {
      case 'go':
        return go;
      case 'spaced':
        return JSON.stringify({ Pod: pod, Nodes: null, NodeNames: names }, null, 1);
      case 'namesFirst':
        return JSON.stringify({ NodeNames: names, Pod: pod, Nodes: null });
      case 'duplicate':
        return `{"NodeNames":null,"Pod":${JSON.stringify(pod)},"NodeNames":${JSON.stringify(names)}}`;
      case 'nullNames':
        return JSON.stringify({ Pod: pod, Nodes: null, NodeNames: null });
      case 'nestedTail':
        // The list as the last member of an inner object: the tail matches, the body means otherwise.
        return `{"Pod":${JSON.stringify(pod)},"Nodes":{"NodeNames":${JSON.stringify(names)}}}`;
    }
  });

describe('NodeNameLists', () => {
  it('parses every body in a sequence as JSON.parse does, a list possibly in an earlier order', () => {
    const sorted = (names: unknown): unknown =>
      Array.isArray(names) ? [...(names as string[])].sort() : names;
    fc.assert(
      fc.property(
        fc.array(fc.tuple(body, fc.option(list, { nil: undefined })), { minLength: 1, maxLength: 12 }),
        fc.boolean(),
        (steps, shuffle) => {
          const lists = new NodeNameLists({ maxEntries: 3 });
          const handedOut: unknown[] = [];
          for (const [original, announced] of steps) {
            // A filter reply announcing its list before this request, whatever the request holds.
            if (announced !== undefined) {
              lists.expect(announced, Buffer.from(JSON.stringify(announced)));
              handedOut.push(announced);
            }
            const text = shuffle
              ? original.replace(/"NodeNames":\[(.*)\]\}$/, (_m, items: string) => {
                  const names = JSON.parse(`[${items}]`) as string[];
                  return `"NodeNames":${JSON.stringify([...names].reverse())}}`;
                })
              : original;
            const expected = JSON.parse(text) as Record<string, unknown>;
            const got = lists.parse(Buffer.from(text)) as Record<string, unknown>;
            expect({ ...got, NodeNames: sorted(got['NodeNames']) }).toEqual({
              ...expected,
              NodeNames: sorted(expected['NodeNames']),
            });
            // A list in another order than sent is one handed out before, never a new arrangement.
            if (JSON.stringify(got['NodeNames']) !== JSON.stringify(expected['NodeNames'])) {
              expect(handedOut).toContain(got['NodeNames']);
            }
            handedOut.push(got['NodeNames']);
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it('answers the same names in another order with the remembered list, never a list with repeats', () => {
    const lists = new NodeNameLists();
    const request = (names: string[]) =>
      Buffer.from(JSON.stringify({ Pod: {}, Nodes: null, NodeNames: names }));
    const first = (lists.parse(request(['a', 'b', 'c'])) as { NodeNames: string[] }).NodeNames;
    expect((lists.parse(request(['c', 'a', 'b'])) as { NodeNames: string[] }).NodeNames).toBe(first);
    expect((lists.parse(request(['a', 'a', 'b'])) as { NodeNames: string[] }).NodeNames).toEqual([
      'a',
      'a',
      'b',
    ]);
    expect((lists.parse(request(['a', 'b', 'd'])) as { NodeNames: string[] }).NodeNames).toEqual([
      'a',
      'b',
      'd',
    ]);
    expect(lists.stats()).toMatchObject({ reordered: 1 });
  });

  it('compares the names when two lists agree at the end of every name, so only the same names match', () => {
    const lists = new NodeNameLists();
    const request = (names: string[]) =>
      Buffer.from(JSON.stringify({ Pod: {}, Nodes: null, NodeNames: names }));
    lists.parse(request(['x-node-1', 'z-node-2', 'w-node-3']));
    // Same lengths and endings: only the first letters tell them apart.
    const got = (lists.parse(request(['w-node-3', 'y-node-1', 'z-node-2'])) as { NodeNames: string[] })
      .NodeNames;
    expect(got).toEqual(['w-node-3', 'y-node-1', 'z-node-2']);
    expect(lists.stats()).toMatchObject({ reordered: 0 });
    const again = (lists.parse(request(['z-node-2', 'w-node-3', 'x-node-1'])) as { NodeNames: string[] })
      .NodeNames;
    expect(again).toEqual(['x-node-1', 'z-node-2', 'w-node-3']);
    expect(lists.stats()).toMatchObject({ reordered: 1 });
  });

  it('reads a rearranged list as bytes: JSON.parse sees only the pod before it', () => {
    const names = Array.from({ length: 400 }, (_, i) => `gpu-node-${i}.rack-${i % 7}`);
    const lists = new NodeNameLists();
    const request = (pod: string, list: readonly string[]) =>
      Buffer.from(JSON.stringify({ Pod: { metadata: { name: pod } }, Nodes: null, NodeNames: list }));
    const first = (lists.parse(request('a', names)) as { NodeNames: string[] }).NodeNames;
    const shuffled = [...names.slice(200), ...names.slice(0, 200).reverse()];
    const parse = vi.spyOn(JSON, 'parse');
    try {
      const got = lists.parse(request('b', shuffled)) as { NodeNames: string[]; Pod: unknown };
      expect(got.NodeNames).toBe(first);
      expect(got.Pod).toEqual({ metadata: { name: 'b' } });
      const longest = Math.max(...parse.mock.calls.map(([text]) => String(text).length));
      expect(longest).toBeLessThan(100);
    } finally {
      parse.mockRestore();
    }
    expect(lists.stats()).toMatchObject({ reordered: 1, misses: 1 });
    // One name swapped for another of the same length, a name twice, or one missing: not the same list.
    const swapped = [...shuffled.slice(1), 'gpu-node-9.rack-9'];
    const twice = [...shuffled.slice(1), shuffled[1]!];
    for (const list of [swapped, twice, shuffled.slice(1)]) {
      expect((lists.parse(request('c', list)) as { NodeNames: string[] }).NodeNames).toEqual(list);
    }
    expect(lists.stats()).toMatchObject({ reordered: 1, misses: 4 });
  });

  it('parses a list with names that are not plain ASCII, escaped or not, as JSON.parse does', () => {
    const lists = new NodeNameLists();
    const odd = ['n\u00e9', 'a"b', 'é', 'tab\t', 'plain'];
    const request = (list: readonly string[]) => Buffer.from(JSON.stringify({ Pod: {}, NodeNames: list }));
    lists.parse(request(odd));
    const reversed = [...odd].reverse();
    expect((lists.parse(request(reversed)) as { NodeNames: string[] }).NodeNames).toEqual(reversed);
    expect(lists.stats()).toMatchObject({ reordered: 0, misses: 2 });
  });

  it('hands a repeated head back as the same frozen members, without parsing it again', () => {
    const lists = new NodeNameLists();
    const names = ['node-1', 'node-2', 'node-3'];
    const pod = { metadata: { name: 'a', uid: 'u', annotations: { k: 'v' } }, spec: { containers: [{}] } };
    const request = (p: unknown, list: readonly string[]) =>
      Buffer.from(JSON.stringify({ Pod: p, Nodes: null, NodeNames: list }));
    lists.parse(request(pod, names)); // remembers the list
    const filter = request(pod, [...names].reverse());
    const first = lists.parse(filter) as { Pod: typeof pod };
    expect(Object.isFrozen(first.Pod.metadata.annotations)).toBe(true);
    expect(() => {
      (first.Pod.metadata.annotations as Record<string, string>)['k'] = 'changed';
    }).toThrow(TypeError);
    filter.fill(0x20); // the body's buffer is reused for the next request
    lists.expect(['node-2', 'node-1']);
    const parse = vi.spyOn(JSON, 'parse');
    let second: { Pod: unknown; NodeNames: unknown };
    try {
      second = lists.parse(request(pod, ['node-2', 'node-1'])) as { Pod: unknown; NodeNames: unknown };
      expect(parse).not.toHaveBeenCalled();
    } finally {
      parse.mockRestore();
    }
    expect(second.Pod).toBe(first.Pod);
    expect(second.NodeNames).toEqual(['node-2', 'node-1']);
    // Another pod is parsed: a new object with its own content.
    const other = lists.parse(request({ ...pod, metadata: { ...pod.metadata, name: 'b' } }, names)) as {
      Pod: typeof pod;
    };
    expect(other.Pod).not.toBe(first.Pod);
    expect(other.Pod.metadata.name).toBe('b');
  });

  it('hands back the very same frozen list for a list sent again, and parses it once', () => {
    const names = Array.from({ length: 500 }, (_, i) => `node-${i}`);
    const lists = new NodeNameLists();
    const request = (pod: string) =>
      Buffer.from(
        JSON.stringify({ Pod: { metadata: { name: pod, uid: pod } }, Nodes: null, NodeNames: names }),
      );
    const first = lists.parse(request('a')) as { NodeNames: string[] };
    const second = lists.parse(request('b')) as { NodeNames: string[]; Pod: { metadata: { name: string } } };
    expect(second.NodeNames).toBe(first.NodeNames);
    expect(second.Pod.metadata.name).toBe('b');
    expect(Object.isFrozen(second.NodeNames)).toBe(true);
    expect(lists.stats()).toMatchObject({ hits: 1, misses: 1, entries: 1 });
  });

  it('answers a request ending with the announced filter list without parsing it', () => {
    const lists = new NodeNameLists();
    const everyNode = Array.from({ length: 300 }, (_, i) => `node-${i}`);
    const request = (pod: string, names: readonly string[]) =>
      Buffer.from(JSON.stringify({ Pod: { metadata: { name: pod } }, Nodes: null, NodeNames: names }));
    lists.parse(request('a', everyNode)); // the filter request: a new list
    const feasible = everyNode.filter((_, i) => i % 3 === 0);
    lists.expect(feasible, Buffer.from(JSON.stringify(feasible)));
    const prioritize = lists.parse(request('a', feasible)) as { NodeNames: string[]; Pod: unknown };
    expect(prioritize).toEqual({ Pod: { metadata: { name: 'a' } }, Nodes: null, NodeNames: feasible });
    expect(Object.isFrozen(prioritize.NodeNames)).toBe(true);
    expect(lists.stats()).toMatchObject({ hits: 1, misses: 1, reordered: 0 });
    // The same list announced again (one filter result reused) is the same remembered array.
    lists.expect(feasible, Buffer.from(JSON.stringify(feasible)));
    expect((lists.parse(request('b', feasible)) as { NodeNames: string[] }).NodeNames).toBe(
      prioritize.NodeNames,
    );
    // A later mutation of the announced array does not reach what was remembered.
    const other = ['node-1', 'node-2'];
    lists.expect(other); // without the JSON: encoded here
    other.push('node-3');
    expect((lists.parse(request('c', ['node-1', 'node-2'])) as { NodeNames: string[] }).NodeNames).toEqual([
      'node-1',
      'node-2',
    ]);
    expect(lists.stats()).toMatchObject({ hits: 3, misses: 1 });
  });

  it('keeps no announced list over the byte budget', () => {
    const lists = new NodeNameLists({ maxBytes: 100 });
    const long = ['x'.repeat(200)];
    lists.expect(long, Buffer.from(JSON.stringify(long)));
    expect(lists.parse(Buffer.from(JSON.stringify({ Pod: {}, NodeNames: long })))).toEqual({
      Pod: {},
      NodeNames: long,
    });
    expect(lists.stats()).toMatchObject({ hits: 0, misses: 1 });
  });

  it('rejects invalid JSON like JSON.parse, also when its tail is a remembered list', () => {
    const lists = new NodeNameLists();
    lists.parse(Buffer.from('{"Pod":{},"NodeNames":["a","b"]}'));
    expect(() => lists.parse(Buffer.from('{"Pod":{"x":"y,"NodeNames":["a","b"]}'))).toThrow(SyntaxError);
    expect(() => lists.parse(Buffer.from('{"Pod":{"x":"y\\","NodeNames":["a","b"]}'))).toThrow(SyntaxError);
  });

  it('keeps at most maxEntries lists and maxBytes of them', () => {
    const lists = new NodeNameLists({ maxEntries: 2, maxBytes: 1_000 });
    for (let i = 0; i < 5; i++) lists.parse(Buffer.from(JSON.stringify({ Pod: {}, NodeNames: [`n${i}`] })));
    expect(lists.stats().entries).toBe(2);
    lists.parse(Buffer.from(JSON.stringify({ Pod: {}, NodeNames: ['x'.repeat(2_000)] })));
    expect(lists.stats().bytes).toBeLessThanOrEqual(1_000);
  });
});
