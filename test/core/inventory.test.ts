import { describe, expect, it } from 'vitest';
import { InventoryError } from '../../src/core/errors.js';
import { inventoryEquals, nodeInventory } from '../../src/core/inventory.js';
import type { NodeShape } from '../../src/core/kube-shapes.js';

const H100_MIB = 81559;
const H100_BYTES = 85520809984;

function dgx(
  overrides: { annotations?: Record<string, string>; labels?: Record<string, string> } = {},
): NodeShape {
  return {
    metadata: {
      name: 'dgx-a1',
      labels: {
        'nvidia.com/gpu.product': 'NVIDIA-H100-80GB-HBM3',
        'nvidia.com/gpu.memory': String(H100_MIB),
        'nvidia.com/gpu.count': '8',
        'nvidia.com/gpu.clique': '7b3c.1',
        'topology.kubernetes.io/zone': 'z1',
        ...overrides.labels,
      },
      annotations: overrides.annotations ?? {},
    },
    status: {
      capacity: { 'nvidia.com/gpu': '8', cpu: '224' },
      allocatable: { 'nvidia.com/gpu': '8', cpu: '220' },
    },
  };
}

function inventoryError(node: NodeShape): InventoryError {
  try {
    nodeInventory(node);
  } catch (error) {
    expect(error).toBeInstanceOf(InventoryError);
    return error as InventoryError;
  }
  throw new Error('expected an InventoryError');
}

describe('nodeInventory', () => {
  it('reads an 8-GPU H100 node', () => {
    const inv = nodeInventory(dgx());
    expect(inv.name).toBe('dgx-a1');
    expect(inv.model).toBe('NVIDIA-H100-80GB-HBM3');
    expect(inv.devices).toEqual(
      [0, 1, 2, 3, 4, 5, 6, 7].map((index) => ({ index, memoryBytes: H100_BYTES })),
    );
    expect(inv.islands).toEqual([[0, 1, 2, 3, 4, 5, 6, 7]]);
    expect(inv.labels['nvidia.com/gpu.clique']).toBe('7b3c.1');
    expect(inv.unschedulable).toBe(false);
  });

  it('prefers allocatable over capacity (a GPU marked unhealthy leaves allocatable)', () => {
    const node: NodeShape = {
      metadata: { name: 'n' },
      status: { allocatable: { 'nvidia.com/gpu': 7 }, capacity: { 'nvidia.com/gpu': 8 } },
    };
    expect(nodeInventory(node).devices).toHaveLength(7);
  });

  it('falls back to capacity, and to no devices', () => {
    expect(
      nodeInventory({ metadata: { name: 'n' }, status: { capacity: { 'nvidia.com/gpu': '2' } } }).devices,
    ).toEqual([
      { index: 0, memoryBytes: 0 },
      { index: 1, memoryBytes: 0 },
    ]);
    const cpuOnly = nodeInventory({ metadata: { name: 'cpu-1' }, status: { allocatable: { cpu: '64' } } });
    expect([cpuOnly.devices, cpuOnly.islands, cpuOnly.model]).toEqual([[], [], '']);
  });

  it('reads cordoned nodes as unschedulable', () => {
    expect(nodeInventory({ ...dgx(), spec: { unschedulable: true } }).unschedulable).toBe(true);
  });

  it('ignores an islands annotation while the node reports no devices', () => {
    const node: NodeShape = {
      metadata: { name: 'n', annotations: { 'phalanx.dev/nvlink-islands': '0-3;4-7' } },
    };
    expect(nodeInventory(node).islands).toEqual([]);
  });

  it.each<[string, string, number[][]]>([
    [
      'ranges',
      '0-3;4-7',
      [
        [0, 1, 2, 3],
        [4, 5, 6, 7],
      ],
    ],
    [
      'lists',
      '0,1;2,3;4,5;6,7',
      [
        [0, 1],
        [2, 3],
        [4, 5],
        [6, 7],
      ],
    ],
    [
      'mixed and out of order',
      '7,4-6; 3,0-2',
      [
        [0, 1, 2, 3],
        [4, 5, 6, 7],
      ],
    ],
    [
      'interleaved',
      '0,2,4,6;1,3,5,7',
      [
        [0, 2, 4, 6],
        [1, 3, 5, 7],
      ],
    ],
    ['one per device', '0;1;2;3;4;5;6;7', [[0], [1], [2], [3], [4], [5], [6], [7]]],
  ])('reads NVLink islands given as %s', (_name, text, islands) => {
    expect(nodeInventory(dgx({ annotations: { 'phalanx.dev/nvlink-islands': text } })).islands).toEqual(
      islands,
    );
  });

  it.each<[string, string, string]>([
    [
      '0-3;3-7',
      'coverage',
      'node dgx-a1: annotation phalanx.dev/nvlink-islands: "0-3;3-7" lists device 3 more than once',
    ],
    [
      '0-3',
      'coverage',
      'node dgx-a1: annotation phalanx.dev/nvlink-islands: "0-3" leaves out device(s) 4, 5, 6, 7',
    ],
    [
      '0-8',
      'coverage',
      'node dgx-a1: annotation phalanx.dev/nvlink-islands: "0-8" names device 8, but the node has 8',
    ],
    [
      '3-0;4-7',
      'malformed',
      'node dgx-a1: annotation phalanx.dev/nvlink-islands: "3-0;4-7" has the descending range "3-0"',
    ],
    [
      'a-b',
      'malformed',
      'node dgx-a1: annotation phalanx.dev/nvlink-islands: "a-b" has "a-b"; expected e.g. "0-3;4-7" or "0,1;2,3"',
    ],
    [
      '',
      'malformed',
      'node dgx-a1: annotation phalanx.dev/nvlink-islands: "" has ""; expected e.g. "0-3;4-7" or "0,1;2,3"',
    ],
    [
      '0-3;',
      'malformed',
      'node dgx-a1: annotation phalanx.dev/nvlink-islands: "0-3;" has ""; expected e.g. "0-3;4-7" or "0,1;2,3"',
    ],
    [
      '0-1-2;3-7',
      'malformed',
      'node dgx-a1: annotation phalanx.dev/nvlink-islands: "0-1-2;3-7" has "0-1-2"; expected e.g. "0-3;4-7" or "0,1;2,3"',
    ],
  ])('rejects islands %j', (text, rule, message) => {
    const error = inventoryError(dgx({ annotations: { 'phalanx.dev/nvlink-islands': text } }));
    expect([error.field, error.rule, error.message]).toEqual(['phalanx.dev/nvlink-islands', rule, message]);
  });

  it.each<[string, NodeShape, string, string]>([
    ['a nameless node', { status: {} }, 'metadata.name', 'malformed'],
    [
      'a memory label with a unit',
      dgx({ labels: { 'nvidia.com/gpu.memory': '80GB' } }),
      'nvidia.com/gpu.memory',
      'not-a-number',
    ],
    [
      'a fractional device count',
      { metadata: { name: 'n' }, status: { allocatable: { 'nvidia.com/gpu': '1.5' } } },
      'status.allocatable[nvidia.com/gpu]',
      'not-an-integer',
    ],
    [
      'an absurd device count',
      { metadata: { name: 'n' }, status: { capacity: { 'nvidia.com/gpu': '5000' } } },
      'status.capacity[nvidia.com/gpu]',
      'too-large',
    ],
  ])('rejects %s', (_name, node, field, rule) => {
    const error = inventoryError(node);
    expect([error.field, error.rule]).toEqual([field, rule]);
  });

  it('names the node in inventory errors', () => {
    expect(inventoryError(dgx({ labels: { 'nvidia.com/gpu.memory': '-1' } })).message).toBe(
      'node dgx-a1: label nvidia.com/gpu.memory: "-1" must not be negative (a count)',
    );
  });
});

describe('inventoryEquals', () => {
  const base = nodeInventory(dgx());

  it('is true for the same node read twice, whatever the label order', () => {
    const reordered = dgx();
    const labels = reordered.metadata?.labels ?? {};
    const reversed = Object.fromEntries(Object.entries(labels).reverse());
    expect(inventoryEquals(base, nodeInventory(dgx()))).toBe(true);
    expect(
      inventoryEquals(base, nodeInventory({ ...reordered, metadata: { name: 'dgx-a1', labels: reversed } })),
    ).toBe(true);
  });

  it.each<[string, NodeShape]>([
    ['a relabel', dgx({ labels: { 'topology.kubernetes.io/zone': 'z2' } })],
    ['an added label', dgx({ labels: { 'example.com/rack': 'r1' } })],
    ['a memory change', dgx({ labels: { 'nvidia.com/gpu.memory': '40960' } })],
    ['a model change', dgx({ labels: { 'nvidia.com/gpu.product': 'NVIDIA-H200' } })],
    ['a cordon', { ...dgx(), spec: { unschedulable: true } }],
    ['new islands', dgx({ annotations: { 'phalanx.dev/nvlink-islands': '0-3;4-7' } })],
    ['fewer devices', { ...dgx(), status: { allocatable: { 'nvidia.com/gpu': '7' } } }],
    ['another name', { ...dgx(), metadata: { ...dgx().metadata, name: 'dgx-a2' } }],
  ])('is false after %s', (_name, node) => {
    expect(inventoryEquals(base, nodeInventory(node))).toBe(false);
  });

  it('does not count a removed label as equal to a label with an undefined value', () => {
    const a = { ...base, labels: { x: '1' } };
    const b = { ...base, labels: { y: '1' } };
    expect(inventoryEquals(a, b)).toBe(false);
  });
});
