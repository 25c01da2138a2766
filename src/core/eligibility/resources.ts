// Resource requests and fit, as kube-scheduler's NodeResourcesFit Filter computes them.
// Units (one per resource, exact integers, as the scheduler's framework.Resource keeps them):
//   cpu → milli-cores (Quantity.MilliValue); every other resource (memory, ephemeral-storage,
//   hugepages-*, pods, extended resources such as nvidia.com/gpu) → Quantity.Value(), i.e. bytes for
//   memory/storage/hugepages and whole units otherwise, a fraction rounding up.
// Bytes are not scaled to milli-units: 9 TiB in milli-bytes would pass Number.MAX_SAFE_INTEGER.
import type { NodeShape, PodShape, QuantityMap } from '../kube-shapes.js';
import { asDemand, effectivePodAmount, requestAmount } from '../pod-resources.js';
import { parseCpuMilli, parseMemoryBytes } from '../quantity.js';

/** Resource name → amount in that resource's unit (see the file header). */
export type ResourceAmounts = Readonly<Record<string, number>>;

export const ResourceName = {
  cpu: 'cpu',
  memory: 'memory',
  ephemeralStorage: 'ephemeral-storage',
  pods: 'pods',
} as const;

/** Order the fit check reports shortfalls in: the scheduler's native resources, then the rest by name. */
const NATIVE_ORDER: readonly string[] = [
  ResourceName.cpu,
  ResourceName.memory,
  ResourceName.ephemeralStorage,
];

/** Parses one quantity of `resource` into its unit: milli-cores for cpu, Value() rounded up otherwise. */
export function parseResourceAmount(resource: string, value: string | number, field: string): number {
  // parseMemoryBytes is Quantity.Value() rounded up for any non-negative quantity, not only memory.
  return resource === ResourceName.cpu ? parseCpuMilli(value, field) : parseMemoryBytes(value, field);
}

/** The amount of `resource` in `amounts` (0 when absent). */
export function amountOf(amounts: ResourceAmounts, resource: string): number {
  return Object.hasOwn(amounts, resource) ? (amounts[resource] ?? 0) : 0;
}

function fromEntries(entries: Iterable<readonly [string, number]>): ResourceAmounts {
  return Object.fromEntries(entries);
}

function namesIn(...maps: (QuantityMap | undefined)[]): string[] {
  return maps.flatMap((map) => Object.keys(map ?? {}));
}

/**
 * A pod's effective request of every resource it names (in requests, limits or overhead): per container
 * the request, or the limit when that resource has no request (the API server defaults requests to
 * limits); app containers summed, init containers by their peak, sidecars added (effectivePodAmount);
 * plus spec.overhead. Throws DemandError for a malformed quantity.
 */
export function podRequests(pod: PodShape): ResourceAmounts {
  const spec = pod.spec;
  const containers = [...(spec?.containers ?? []), ...(spec?.initContainers ?? [])];
  const overhead = spec?.overhead;
  const names = new Set([
    ...containers.flatMap((c) => namesIn(c.resources?.requests, c.resources?.limits)),
    ...namesIn(overhead),
  ]);
  const parse = (resource: string) => (value: string | number, field: string) =>
    parseResourceAmount(resource, value, field);
  return fromEntries(
    [...names].sort().map((resource) => {
      const containersAmount = effectivePodAmount(pod, requestAmount(resource, parse(resource)));
      const overheadValue =
        overhead !== undefined && Object.hasOwn(overhead, resource) ? overhead[resource] : undefined;
      const field = `spec.overhead[${resource}]`;
      const overheadAmount =
        overheadValue === undefined
          ? 0
          : asDemand(field, () => parseResourceAmount(resource, overheadValue, field));
      return [resource, containersAmount + overheadAmount] as const;
    }),
  );
}

/** Per-resource sum of two amounts. */
export function addRequests(a: ResourceAmounts, b: ResourceAmounts): ResourceAmounts {
  const names = new Set([...Object.keys(a), ...Object.keys(b)]);
  return fromEntries([...names].sort().map((name) => [name, amountOf(a, name) + amountOf(b, name)] as const));
}

/** What the given pods request together (e.g. the pods already bound to a node). */
export function sumRequests(pods: Iterable<PodShape>): ResourceAmounts {
  let total: ResourceAmounts = {};
  for (const pod of pods) total = addRequests(total, podRequests(pod));
  return total;
}

/** The node's status.allocatable in the same units (upstream reads allocatable only, not capacity). */
export function nodeAllocatable(node: NodeShape): ResourceAmounts {
  const allocatable = node.status?.allocatable ?? {};
  return fromEntries(
    Object.entries(allocatable).map(([resource, value]) => {
      const field = `status.allocatable[${resource}]`;
      return [resource, parseResourceAmount(resource, value, field)] as const;
    }),
  );
}

/** How many more pods the node admits: allocatable pods minus the pods on it (a missing "pods" is 0). */
export function podSlotsLeft(allocatable: ResourceAmounts, podCount: number): number {
  return amountOf(allocatable, ResourceName.pods) - podCount;
}

/**
 * The resources whose request exceeds allocatable minus already requested, in report order (cpu,
 * memory, ephemeral-storage, then by name). Zero requests always fit; a requested resource the node
 * does not offer never does. `pods` is a count of pods, not a request, and `ignore` is skipped.
 */
export function insufficientResources(
  request: ResourceAmounts,
  allocatable: ResourceAmounts,
  requested: ResourceAmounts,
  ignore: readonly string[] = [],
): string[] {
  const names = Object.keys(request)
    .filter((name) => name !== ResourceName.pods && !ignore.includes(name))
    .sort((a, b) => rank(a) - rank(b) || (a < b ? -1 : a > b ? 1 : 0));
  return names.filter((name) => {
    const want = amountOf(request, name);
    return want > 0 && want > amountOf(allocatable, name) - amountOf(requested, name);
  });
}

function rank(name: string): number {
  const index = NATIVE_ORDER.indexOf(name);
  return index === -1 ? NATIVE_ORDER.length : index;
}
