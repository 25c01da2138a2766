// Placement policies by name (config default and the per-pod phalanx.dev/policy annotation).
// A plain map of factories: each call makes a fresh instance, since learning policies keep state.
// New policies register by adding a line here.
import { createBinpackPolicy } from './binpack.js';
import { createFgdPolicy } from './fgd.js';
import { createPhalanxPolicy } from './phalanx.js';
import type { PlacementPolicy } from './policy.js';
import { createSpreadPolicy } from './spread.js';
import { FieldError, Rule } from '../errors.js';
import { Req } from '../names.js';

const FACTORIES: ReadonlyMap<string, () => PlacementPolicy> = new Map([
  ['binpack', createBinpackPolicy],
  ['spread', createSpreadPolicy],
  ['fgd', () => createFgdPolicy()],
  ['phalanx', createPhalanxPolicy],
]);

export function policyNames(): string[] {
  return [...FACTORIES.keys()];
}

export function isPolicyName(name: string): boolean {
  return FACTORIES.has(name);
}

/** A new instance of the named policy; throws a FieldError (rule unknown-name) naming the known ones. */
export function policyByName(name: string, field: string = Req.policy): PlacementPolicy {
  const factory = FACTORIES.get(name);
  if (factory === undefined) {
    throw new FieldError(
      field,
      Rule.unknownName,
      `${field}: unknown placement policy "${name}"; known: ${policyNames().join(', ')}`,
    );
  }
  return factory();
}
