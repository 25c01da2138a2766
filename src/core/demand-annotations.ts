// Request annotations other than GPU amounts: aliases, gang identity, topology levels, policy.
// Errors carry the annotation key as `field`; messages start with "annotation <key>:".
import { DemandError, Rule } from './errors.js';
import type { StringMap } from './kube-shapes.js';
import { Alias, DEFAULT_TOPOLOGY_LEVELS, NODE_LEVEL, Req } from './names.js';
import { asDemand } from './pod-resources.js';
import { GANG_COMMITS, type GangCommit, type GangRef, type TopologyConstraint } from './types.js';

export interface AnnotationValue<T> {
  /** The annotation the value was read from (canonical when both spellings are present). */
  readonly key: string;
  readonly value: T;
}

/**
 * Reads a canonical annotation or its alias. Both may be present (the webhook copies aliases to the
 * canonical name); then they must mean the same thing, or the request is ambiguous.
 */
export function readAliased<T extends string | number>(
  annotations: StringMap,
  canonical: string,
  alias: string,
  parse: (value: string, label: string, key: string) => T,
): AnnotationValue<T> | undefined {
  const read = (key: string): AnnotationValue<T> | undefined => {
    const raw = annotations[key];
    return raw === undefined
      ? undefined
      : { key, value: asDemand(key, () => parse(raw, `annotation ${key}`, key)) };
  };
  const main = read(canonical);
  const other = read(alias);
  if (main && other && main.value !== other.value) {
    throw new DemandError(
      canonical,
      Rule.conflict,
      `annotation ${canonical}: ${JSON.stringify(annotations[canonical])} disagrees with its alias ` +
        `${alias}: ${JSON.stringify(annotations[alias])}; remove one`,
    );
  }
  return main ?? other;
}

function nonEmpty(value: string, key: string): string {
  const text = value.trim();
  if (text === '') throw new DemandError(key, Rule.malformed, `annotation ${key}: must not be empty`);
  return text;
}

const GROUP_NAME = /^[A-Za-z0-9]([A-Za-z0-9._-]{0,251}[A-Za-z0-9])?$/;
/** Digits only; a long one is refused as too large, not as "not a number". */
const GROUP_SIZE = /^\d{1,64}$/;

/**
 * The largest gang any Phalanx path accepts, whatever the configuration says: a gang is planned
 * member by member, so its size must never be what decides how much memory one request takes.
 * `limits.maxGroupSize` (default DEFAULT_MAX_GROUP_SIZE) may only lower it.
 */
export const MAX_GROUP_SIZE = 4096;
/** Default of `limits.maxGroupSize`. */
export const DEFAULT_MAX_GROUP_SIZE = 1024;

/** The refusal of a gang size above the limit; `field` and `what` name where the size was read. */
export function groupSizeTooLarge(field: string, what: string, size: string, max: number): DemandError {
  return new DemandError(
    field,
    Rule.tooLarge,
    `${what}: ${JSON.stringify(size)} is more than the largest gang allowed, ${max} members ` +
      `(setting limits.maxGroupSize)`,
  );
}

/**
 * Gang identity: phalanx.dev/pod-group and phalanx.dev/group-size, always together. `maxGroupSize`
 * bounds the size (MAX_GROUP_SIZE when not given, and never above it).
 */
export function readGang(
  annotations: StringMap,
  namespace: string,
  maxGroupSize: number = MAX_GROUP_SIZE,
): GangRef | undefined {
  const group = annotations[Req.podGroup];
  const size = annotations[Req.groupSize];
  const commit = readGangCommit(annotations[Req.gangCommit]);
  if (group === undefined && size === undefined) {
    if (commit === undefined) return undefined;
    throw new DemandError(
      Req.gangCommit,
      Rule.missingPair,
      `annotation ${Req.gangCommit}: set, but the pod is in no gang (${Req.podGroup} and ${Req.groupSize} missing)`,
    );
  }
  if (group === undefined) {
    throw new DemandError(
      Req.podGroup,
      Rule.missingPair,
      `annotation ${Req.podGroup}: missing, but ${Req.groupSize} is set; a group size needs a group name`,
    );
  }
  if (size === undefined) {
    throw new DemandError(
      Req.groupSize,
      Rule.missingPair,
      `annotation ${Req.groupSize}: missing, but ${Req.podGroup} is set; say how many pods the group has`,
    );
  }
  const name = group.trim();
  if (!GROUP_NAME.test(name)) {
    throw new DemandError(
      Req.podGroup,
      Rule.malformed,
      `annotation ${Req.podGroup}: ${JSON.stringify(group)} must be 1-253 letters, digits, '.', '_' or '-', ` +
        `starting and ending with a letter or digit`,
    );
  }
  const text = size.trim();
  if (!GROUP_SIZE.test(text)) {
    throw new DemandError(
      Req.groupSize,
      Rule.notAnInteger,
      `annotation ${Req.groupSize}: ${JSON.stringify(size)} must be a whole number ≥ 1`,
    );
  }
  const count = Number(text);
  if (count < 1) {
    throw new DemandError(
      Req.groupSize,
      Rule.outOfRange,
      `annotation ${Req.groupSize}: ${JSON.stringify(size)} must be a whole number ≥ 1`,
    );
  }
  const max = Math.min(maxGroupSize, MAX_GROUP_SIZE);
  if (count > max) throw groupSizeTooLarge(Req.groupSize, `annotation ${Req.groupSize}`, size, max);
  return { key: `${namespace}/${name}`, name, size: count, ...(commit === undefined ? {} : { commit }) };
}

function readGangCommit(value: string | undefined): GangCommit | undefined {
  if (value === undefined) return undefined;
  const text = value.trim();
  const commit = GANG_COMMITS.find((c) => c === text);
  if (commit === undefined) {
    throw new DemandError(
      Req.gangCommit,
      Rule.unknownName,
      `annotation ${Req.gangCommit}: ${JSON.stringify(value)} must be ${GANG_COMMITS.join(' or ')}`,
    );
  }
  return commit;
}

/**
 * Topology levels by annotation (or the KAI scheduler's aliases). With configured levels, names must be
 * among them or "node"; the preferred level must be at least as tight as the required one, since a
 * placement never goes wider than required.
 */
export function readTopology(annotations: StringMap, levels?: readonly string[]): TopologyConstraint {
  const parse = (value: string, _label: string, key: string): string => nonEmpty(value, key);
  const required = readAliased(annotations, Req.topologyRequired, Alias.kaiTopologyRequired, parse);
  const preferred = readAliased(annotations, Req.topologyPreferred, Alias.kaiTopologyPreferred, parse);
  const order = [NODE_LEVEL, ...(levels ?? DEFAULT_TOPOLOGY_LEVELS)];
  for (const level of [required, preferred]) {
    if (level && levels && !order.includes(level.value)) {
      throw new DemandError(
        level.key,
        Rule.unknownName,
        `annotation ${level.key}: ${JSON.stringify(level.value)} is not a topology level; ` +
          `known levels, closest first: ${order.join(', ')}`,
      );
    }
  }
  if (required && preferred) {
    const requiredRank = order.indexOf(required.value);
    const preferredRank = order.indexOf(preferred.value);
    if (requiredRank >= 0 && preferredRank > requiredRank) {
      throw new DemandError(
        preferred.key,
        Rule.conflict,
        `annotation ${preferred.key}: ${JSON.stringify(preferred.value)} is wider than the required level ` +
          `${JSON.stringify(required.value)}; the preferred level must be at least as tight`,
      );
    }
  }
  return {
    ...(required ? { required: required.value } : {}),
    ...(preferred ? { preferred: preferred.value } : {}),
  };
}

/** phalanx.dev/policy: a scoring policy name, checked against the known names when given. */
export function readPolicy(annotations: StringMap, policies?: readonly string[]): string | undefined {
  const raw = annotations[Req.policy];
  if (raw === undefined) return undefined;
  const name = nonEmpty(raw, Req.policy);
  if (policies && !policies.includes(name)) {
    throw new DemandError(
      Req.policy,
      Rule.unknownName,
      `annotation ${Req.policy}: ${JSON.stringify(raw)} is not a known policy; known: ${policies.join(', ')}`,
    );
  }
  return name;
}
