// What identifies a capacity placeholder: its labels and annotations, its deterministic name, and the
// short stable hashes behind both. A placeholder's name is a function of its demand unit and index,
// so creating it twice is harmless and a restarted leader finds the ones it created before.
import { shortHash } from '../short-hash.js';

/** Labels and annotations on every placeholder pod. */
export const PlaceholderLabel = {
  /** Value: the demand unit's id. Selects a gang's placeholders for their pod affinity too. */
  unit: 'phalanx.dev/capacity-placeholder',
  /** `gang` or `shares`. */
  kind: 'phalanx.dev/capacity-placeholder-kind',
} as const;

export const PlaceholderAnnotation = {
  /** Hash of everything the placeholder's spec is built from: a different hash means replace it. */
  spec: 'phalanx.dev/capacity-placeholder-spec',
  /** Human-readable: which waiting pods or gang it stands for. */
  demand: 'phalanx.dev/capacity-placeholder-for',
} as const;

/** Default PriorityClass of placeholders (deploy/autoscaling/priority-class.yaml). */
export const DEFAULT_PLACEHOLDER_PRIORITY_CLASS = 'phalanx-capacity-placeholder';

/** 16 hex digits (FNV-1a of the key, and of its length-prefixed form), for unit ids. */
export function unitId(unitKey: string): string {
  return `${shortHash(unitKey)}${shortHash(`${unitKey.length}:${unitKey}`)}`;
}

/** `phalanx-placeholder-<unit id>-<index>`: a valid pod name (DNS subdomain) for any unit. */
export function placeholderName(unit: string, index: number): string {
  return `phalanx-placeholder-${unit}-${index}`;
}

/** JSON with object keys sorted, so equal constraints always give equal keys and hashes. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}
