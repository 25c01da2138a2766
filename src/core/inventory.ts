// NodeInventory from a Node object: devices (allocatable nvidia.com/gpu), memory per device and model
// (GPU Feature Discovery labels), NVLink islands (our annotation), labels for topology, cordon state.
import { InventoryError, QuantityError, Rule } from './errors.js';
import type { NodeShape } from './kube-shapes.js';
import { NodeAnnotation, NodeLabel, Resource } from './names.js';
import { mibToBytes, parseCount } from './quantity.js';
import type { DeviceSpec, NodeInventory } from './types.js';

/** More devices than any real node has; refusing it keeps a typo from allocating a huge device table. */
export const MAX_DEVICES_PER_NODE = 1024;

export function nodeInventory(node: NodeShape): NodeInventory {
  const name = node.metadata?.name;
  if (!name)
    throw new InventoryError('metadata.name', Rule.malformed, 'metadata.name: a Node must have a name');
  const labels = node.metadata?.labels ?? {};
  const count = deviceCount(node, name);
  const memoryBytes = deviceMemoryBytes(labels[NodeLabel.gpuMemory], name);
  const devices: DeviceSpec[] = Array.from({ length: count }, (_, index) => ({ index, memoryBytes }));
  const islandsText = node.metadata?.annotations?.[NodeAnnotation.nvlinkIslands];
  return {
    name,
    devices,
    model: labels[NodeLabel.gpuProduct] ?? '',
    // Without devices there is nothing to group; a stale islands annotation must not make the node unusable.
    islands:
      count === 0
        ? []
        : islandsText === undefined
          ? [range(0, count)]
          : parseIslands(islandsText, count, name),
    labels: { ...labels },
    unschedulable: node.spec?.unschedulable === true,
  };
}

function asInventory<T>(field: string, node: string, parse: () => T): T {
  try {
    return parse();
  } catch (error) {
    if (error instanceof QuantityError) {
      throw new InventoryError(field, error.rule, `node ${node}: ${error.message}`, { cause: error });
    }
    throw error;
  }
}

function deviceCount(node: NodeShape, name: string): number {
  const allocatable = node.status?.allocatable?.[Resource.nvidiaGpu];
  const value = allocatable ?? node.status?.capacity?.[Resource.nvidiaGpu];
  if (value === undefined) return 0;
  const field = `status.${allocatable === undefined ? 'capacity' : 'allocatable'}[${Resource.nvidiaGpu}]`;
  const count = asInventory(field, name, () => parseCount(value, field));
  if (count > MAX_DEVICES_PER_NODE) {
    throw new InventoryError(
      field,
      Rule.tooLarge,
      `node ${name}: ${field}: ${count} devices is more than ${MAX_DEVICES_PER_NODE}`,
    );
  }
  return count;
}

function deviceMemoryBytes(mib: string | undefined, name: string): number {
  if (mib === undefined) return 0;
  const field = `label ${NodeLabel.gpuMemory}`;
  return asInventory(NodeLabel.gpuMemory, name, () => mibToBytes(parseCount(mib, field)));
}

function range(from: number, to: number): number[] {
  return Array.from({ length: to - from }, (_, i) => from + i);
}

const INDEX = /^\d{1,4}$/;

/**
 * Parses "0-3;4-7" or "0,1;2,3" (islands separated by ';', each a list of indices and ranges).
 * Every device must be in exactly one island. Islands come back sorted, so equal layouts compare equal.
 */
export function parseIslands(text: string, deviceCount: number, node = ''): number[][] {
  const key = NodeAnnotation.nvlinkIslands;
  const fail = (rule: string, why: string): never => {
    throw new InventoryError(
      key,
      rule,
      `${node ? `node ${node}: ` : ''}annotation ${key}: ${JSON.stringify(text)} ${why}`,
    );
  };
  const seen = new Set<number>();
  const islands = text.split(';').map((group) => {
    const island: number[] = [];
    for (const item of group.split(',')) {
      const bounds = item.trim().split('-');
      if (bounds.length > 2 || !bounds.every((b) => INDEX.test(b.trim()))) {
        fail(Rule.malformed, `has ${JSON.stringify(item.trim())}; expected e.g. "0-3;4-7" or "0,1;2,3"`);
      }
      const low = Number(bounds[0]);
      const high = Number(bounds[bounds.length - 1]);
      if (high < low) fail(Rule.malformed, `has the descending range ${JSON.stringify(item.trim())}`);
      for (let index = low; index <= high; index++) {
        if (index >= deviceCount)
          fail(Rule.coverage, `names device ${index}, but the node has ${deviceCount}`);
        if (seen.has(index)) fail(Rule.coverage, `lists device ${index} more than once`);
        seen.add(index);
        island.push(index);
      }
    }
    return island.sort((a, b) => a - b);
  });
  const missing = range(0, deviceCount).filter((index) => !seen.has(index));
  if (missing.length > 0) fail(Rule.coverage, `leaves out device(s) ${missing.join(', ')}`);
  return islands.sort((a, b) => (a[0] ?? 0) - (b[0] ?? 0));
}

function sameList<T>(a: readonly T[], b: readonly T[], same: (x: T, y: T) => boolean): boolean {
  return a.length === b.length && a.every((x, i) => same(x, b[i] as T));
}

/** Deep equality, so callers can skip updates that change nothing Phalanx reads. */
export function inventoryEquals(a: NodeInventory, b: NodeInventory): boolean {
  if (a === b) return true;
  const aLabels = Object.keys(a.labels);
  return (
    a.name === b.name &&
    a.model === b.model &&
    a.unschedulable === b.unschedulable &&
    sameList(a.devices, b.devices, (x, y) => x.index === y.index && x.memoryBytes === y.memoryBytes) &&
    sameList(a.islands, b.islands, (x, y) => sameList(x, y, (i, j) => i === j)) &&
    aLabels.length === Object.keys(b.labels).length &&
    aLabels.every((k) => Object.hasOwn(b.labels, k) && a.labels[k] === b.labels[k])
  );
}
