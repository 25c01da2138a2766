// Object-by-object comparison of two renderings of deploy/ (kustomize and the Helm chart). Only
// what each tool adds by design is normalised away: kustomize's hash suffix on generated ConfigMap
// names (and the references to them), the chart's checksum/* pod annotations that roll the
// Deployments instead, and the formatting of generated configuration files (compared parsed).
import { isDeepStrictEqual } from 'node:util';
import { parse } from 'yaml';
import type { KubeObject, Obj } from './render.js';

export const keyOf = (o: KubeObject): string =>
  `${o.kind} ${o.metadata.namespace === undefined ? '' : `${o.metadata.namespace}/`}${o.metadata.name}`;

/** kustomize's generated names: `<generator>-<10-character hash>`. */
const HASHED = /^(.+)-[a-z0-9]{10}$/;

function normalised(o: KubeObject, generated: ReadonlySet<string>): KubeObject {
  const copy = structuredClone(o) as Obj & {
    apiVersion: string;
    kind: string;
    metadata: Obj & { name: string };
  };
  const unhash = (name: string): string => {
    const base = HASHED.exec(name)?.[1];
    return base !== undefined && generated.has(base) ? base : name;
  };
  if (copy.kind === 'ConfigMap') {
    copy.metadata = { ...copy.metadata, name: unhash(copy.metadata.name) };
    const data = (copy['data'] ?? {}) as Record<string, string>;
    copy['data'] = Object.fromEntries(Object.entries(data).map(([k, v]) => [k, parse(v) as unknown]));
  }
  const template = ((copy['spec'] as Obj | undefined)?.['template'] ?? undefined) as Obj | undefined;
  if (template !== undefined) {
    const meta = (template['metadata'] ?? {}) as Obj;
    const annotations = Object.entries((meta['annotations'] ?? {}) as Record<string, string>).filter(
      ([k]) => !k.startsWith('checksum/'),
    );
    if (annotations.length > 0) meta['annotations'] = Object.fromEntries(annotations);
    else delete meta['annotations'];
    const spec = (template['spec'] ?? {}) as Obj;
    for (const volume of (spec['volumes'] ?? []) as Obj[]) {
      const configMap = volume['configMap'] as Obj | undefined;
      if (typeof configMap?.['name'] === 'string') configMap['name'] = unhash(configMap['name']);
    }
  }
  return copy;
}

/** The first path where two values differ, for a readable failure. */
export function firstDifference(a: unknown, b: unknown, path = ''): string | undefined {
  if (isDeepStrictEqual(a, b)) return undefined;
  if (typeof a === 'object' && a !== null && typeof b === 'object' && b !== null) {
    const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
    for (const key of keys) {
      const found = firstDifference((a as Obj)[key], (b as Obj)[key], `${path}/${key}`);
      if (found !== undefined) return found;
    }
  }
  return `${path || '/'}: ${JSON.stringify(a)} ≠ ${JSON.stringify(b)}`;
}

export interface Comparison {
  readonly onlyInKustomize: string[];
  readonly onlyInChart: string[];
  /** `<object>: <path>: <kustomize value> ≠ <chart value>` for each object that differs. */
  readonly different: string[];
}

/**
 * Compares the objects of `kubectl kustomize` with the chart's; `generated` names the
 * configMapGenerator names whose hash suffix kustomize adds.
 */
export function compareRenderings(
  kustomized: readonly KubeObject[],
  charted: readonly KubeObject[],
  generated: ReadonlySet<string>,
): Comparison {
  const index = (objects: readonly KubeObject[]) => {
    const byKey = new Map<string, KubeObject>();
    for (const o of objects) {
      const n = normalised(o, generated);
      const key = keyOf(n);
      if (byKey.has(key)) throw new Error(`${key} is rendered twice`);
      byKey.set(key, n);
    }
    return byKey;
  };
  const k = index(kustomized);
  const c = index(charted);
  const different: string[] = [];
  for (const [key, value] of k) {
    const other = c.get(key);
    if (other === undefined) continue;
    const diff = firstDifference(value, other);
    if (diff !== undefined) different.push(`${key}: ${diff}`);
  }
  return {
    onlyInKustomize: [...k.keys()].filter((key) => !c.has(key)),
    onlyInChart: [...c.keys()].filter((key) => !k.has(key)),
    different,
  };
}
