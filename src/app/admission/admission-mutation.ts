// Edits on a deep copy of the pod's JSON. Every helper creates the maps and lists it writes into when
// they are absent, so the JSON patch later computed from original → copy adds whole maps where needed.
import type { PodShape } from '../../core/kube-shapes.js';

type JsonObject = Record<string, unknown>;

/** A writable deep copy of the pod, keeping every field the webhook received (not only PodShape's). */
export function copyPod(pod: PodShape): JsonObject {
  return structuredClone(pod) as unknown as JsonObject;
}

function objectAt(parent: JsonObject, key: string): JsonObject {
  const value = parent[key];
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) return value as JsonObject;
  const created: JsonObject = {};
  parent[key] = created;
  return created;
}

function listAt(parent: JsonObject, key: string): unknown[] {
  const value = parent[key];
  if (Array.isArray(value)) return value;
  const created: unknown[] = [];
  parent[key] = created;
  return created;
}

/** Sets annotations that are absent; present ones are the user's and stay. */
export function addAnnotations(pod: JsonObject, entries: Readonly<Record<string, string>>): void {
  const keys = Object.keys(entries);
  if (keys.length === 0) return;
  const annotations = objectAt(objectAt(pod, 'metadata'), 'annotations');
  for (const key of keys) {
    if (annotations[key] === undefined) annotations[key] = entries[key];
  }
}

/** Sets `resource` to `quantity` in both requests and limits of the first container (extended resources need both equal). */
export function setFirstContainerResource(pod: JsonObject, resource: string, quantity: string): boolean {
  const containers = listAt(objectAt(pod, 'spec'), 'containers');
  const first = containers[0];
  if (first === null || typeof first !== 'object' || Array.isArray(first)) return false;
  const resources = objectAt(first as JsonObject, 'resources');
  objectAt(resources, 'requests')[resource] = quantity;
  objectAt(resources, 'limits')[resource] = quantity;
  return true;
}

export function setSchedulerName(pod: JsonObject, name: string): void {
  objectAt(pod, 'spec')['schedulerName'] = name;
}

/** Appends a scheduling gate unless the pod already carries it. */
export function addSchedulingGate(pod: JsonObject, gate: string): void {
  const gates = listAt(objectAt(pod, 'spec'), 'schedulingGates');
  const present = gates.some(
    (g) => g !== null && typeof g === 'object' && (g as JsonObject)['name'] === gate,
  );
  if (!present) gates.push({ name: gate });
}

/**
 * Sets `vars` in every container and init container, replacing entries of the same names (the
 * user's or an earlier webhook's): an explicit `env` entry also wins over `envFrom` and the image.
 */
export function setContainerEnv(pod: JsonObject, vars: readonly Readonly<Record<string, unknown>>[]): void {
  const names = new Set(vars.map((v) => v['name']));
  const spec = objectAt(pod, 'spec');
  for (const key of ['initContainers', 'containers']) {
    const list = spec[key];
    if (!Array.isArray(list)) continue;
    for (const container of list) {
      if (container === null || typeof container !== 'object' || Array.isArray(container)) continue;
      const env = listAt(container as JsonObject, 'env');
      const kept = env.filter(
        (e) => !(e !== null && typeof e === 'object' && names.has((e as JsonObject)['name'])),
      );
      env.length = 0;
      env.push(...kept, ...vars.map((v) => structuredClone(v)));
    }
  }
}
