// Which nodes a pod selects: spec.nodeSelector and the required node affinity, as kube-scheduler's
// NodeAffinity Filter plugin evaluates them (k8s component-helpers nodeaffinity + apimachinery labels).
// Terms are ORed; within a term matchExpressions and matchFields are ANDed. A term that is empty or
// malformed (In without values, Gt with a non-integer, a field other than metadata.name…) matches nothing.
import type {
  NodeSelectorRequirementShape,
  NodeSelectorTermShape,
  NodeShape,
  PodShape,
  StringMap,
} from '../kube-shapes.js';

/** The only node field a matchFields requirement may name. */
export const NODE_NAME_FIELD = 'metadata.name';

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

function labelOf(labels: StringMap, key: string): string | undefined {
  return Object.hasOwn(labels, key) ? labels[key] : undefined;
}

/** Go's strconv.ParseInt(s, 10, 64): optional sign, decimal digits, within int64; else undefined. */
export function parseInt64(text: string): bigint | undefined {
  if (!/^[+-]?\d+$/.test(text)) return undefined;
  const value = BigInt(text);
  return value < INT64_MIN || value > INT64_MAX ? undefined : value;
}

/** Whether a requirement is well-formed for its operator (upstream refuses the whole term otherwise). */
function wellFormed(req: NodeSelectorRequirementShape): boolean {
  const values = req.values ?? [];
  switch (req.operator) {
    case 'In':
    case 'NotIn':
      return values.length > 0;
    case 'Exists':
    case 'DoesNotExist':
      return values.length === 0;
    case 'Gt':
    case 'Lt':
      return values.length === 1 && parseInt64(values[0] ?? '') !== undefined;
    default:
      return false;
  }
}

/** One label requirement against node labels; assumes `wellFormed(req)`. */
function labelRequirementMatches(req: NodeSelectorRequirementShape, labels: StringMap): boolean {
  const actual = labelOf(labels, req.key);
  const values = req.values ?? [];
  switch (req.operator) {
    case 'In':
      return actual !== undefined && values.includes(actual);
    case 'NotIn':
      return actual === undefined || !values.includes(actual);
    case 'Exists':
      return actual !== undefined;
    case 'DoesNotExist':
      return actual === undefined;
    case 'Gt':
    case 'Lt': {
      const have = actual === undefined ? undefined : parseInt64(actual);
      const want = parseInt64(values[0] ?? '');
      if (have === undefined || want === undefined) return false;
      return req.operator === 'Gt' ? have > want : have < want;
    }
    default:
      return false;
  }
}

/** A matchFields requirement: key metadata.name, operator In or NotIn, exactly one value. */
function fieldRequirementMatches(req: NodeSelectorRequirementShape, nodeName: string): boolean {
  const values = req.values ?? [];
  if (req.key !== NODE_NAME_FIELD || values.length !== 1) return false;
  if (req.operator === 'In') return values[0] === nodeName;
  if (req.operator === 'NotIn') return values[0] !== nodeName;
  return false;
}

/** One node selector term against a node; empty or malformed terms match nothing. */
export function nodeSelectorTermMatches(term: NodeSelectorTermShape, node: NodeShape): boolean {
  const expressions = term.matchExpressions ?? [];
  const fields = term.matchFields ?? [];
  if (expressions.length === 0 && fields.length === 0) return false;
  // A malformed requirement makes the whole term fail to parse upstream, so it never matches.
  if (!expressions.every(wellFormed)) return false;
  const labels = node.metadata?.labels ?? {};
  const name = node.metadata?.name ?? '';
  return (
    expressions.every((req) => labelRequirementMatches(req, labels)) &&
    fields.every((req) => fieldRequirementMatches(req, name))
  );
}

/** Terms are ORed; an empty list matches no node. */
export function nodeSelectorTermsMatch(terms: readonly NodeSelectorTermShape[], node: NodeShape): boolean {
  return terms.some((term) => nodeSelectorTermMatches(term, node));
}

/** spec.nodeSelector: every key=value must be among the node's labels (an empty selector matches all). */
export function matchesNodeSelector(pod: PodShape, node: NodeShape): boolean {
  const labels = node.metadata?.labels ?? {};
  return Object.entries(pod.spec?.nodeSelector ?? {}).every(([key, value]) => labelOf(labels, key) === value);
}

/** Required node affinity; a pod without one matches every node. */
export function matchesRequiredNodeAffinity(pod: PodShape, node: NodeShape): boolean {
  const required = pod.spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution;
  return required === undefined || nodeSelectorTermsMatch(required.nodeSelectorTerms, node);
}
