// Strict validation of extender request bodies. Each failure names the offending field so a 400
// tells the operator exactly what the caller sent wrong.
import { podShapeIssue } from '../app/scheduling/pod-shape.js';
import type { NodeShape, PodShape } from '../core/kube-shapes.js';
import type { ExtenderArgs, ExtenderBindingArgs, ExtenderPreemptionArgs, MetaVictims } from './wire.js';

export class WireError extends Error {
  override readonly name = 'WireError';
  readonly field: string;
  constructor(field: string, message: string) {
    super(`${field}: ${message}`);
    this.field = field;
  }
}

type Obj = Record<string, unknown>;

const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

function object(v: unknown, field: string): Obj {
  if (!isObj(v)) throw new WireError(field, 'must be a JSON object');
  return v;
}

function string(v: unknown, field: string, allowEmpty = false): string {
  if (typeof v !== 'string') throw new WireError(field, 'must be a string');
  if (!allowEmpty && v === '') throw new WireError(field, 'must not be empty');
  return v;
}

/**
 * Frozen lists already checked: the extender hands the same frozen NodeNames array to pod after pod
 * (node-name-lists.ts), and a frozen array cannot have changed since.
 */
const checkedLists = new WeakSet<readonly unknown[]>();

/** Checked in place, without a copy or a field name per item: NodeNames holds every node of the cluster. */
function stringArray(v: unknown, field: string): string[] {
  if (!Array.isArray(v)) throw new WireError(field, 'must be an array of strings or null');
  if (checkedLists.has(v)) return v as string[];
  for (let i = 0; i < v.length; i++) {
    const item: unknown = v[i];
    if (typeof item !== 'string' || item === '') string(item, `${field}[${i}]`);
  }
  if (Object.isFrozen(v)) checkedLists.add(v);
  return v as string[];
}

/** A Pod must at least carry metadata.name and metadata.uid: the decisions are keyed by them. */
function parsePodIdentity(v: unknown, field: string): PodShape {
  const pod = object(v, field);
  const meta = object(pod['metadata'], `${field}.metadata`);
  string(meta['name'], `${field}.metadata.name`);
  string(meta['uid'], `${field}.metadata.uid`);
  if (meta['namespace'] !== undefined) string(meta['namespace'], `${field}.metadata.namespace`, true);
  if (pod['spec'] !== undefined) object(pod['spec'], `${field}.spec`);
  return pod;
}

/**
 * Frozen pods already checked: a pod's filter and prioritize requests carry the same pod, handed on
 * as the same frozen object (node-name-lists.ts), which cannot have changed since.
 */
const checkedPods = new WeakSet<object>();

/**
 * The pod being scheduled: its identity, then every field core reads checked for its JSON type
 * (app/scheduling/pod-shape.ts), so a malformed one is a 400 naming the path
 * (`Pod.spec.containers: must be an array`), never an internal error.
 */
export function parsePod(v: unknown, field: string): PodShape {
  if (isObj(v) && checkedPods.has(v)) return v;
  const pod = parsePodIdentity(v, field);
  const issue = podShapeIssue(pod, field);
  if (issue !== undefined) throw new WireError(issue.path, issue.message);
  if (Object.isFrozen(pod)) checkedPods.add(pod);
  return pod;
}

function isNamed(v: unknown): boolean {
  if (!isObj(v) || !isObj(v['metadata'])) return false;
  const name = v['metadata']['name'];
  return typeof name === 'string' && name !== '';
}

function parseNode(v: unknown, field: string): NodeShape {
  const node = object(v, field);
  const meta = object(node['metadata'], `${field}.metadata`);
  string(meta['name'], `${field}.metadata.name`);
  return node;
}

export function parseExtenderArgs(body: unknown): ExtenderArgs {
  const args = object(body, 'body');
  const Pod = parsePod(args['Pod'], 'Pod');
  const rawNames = args['NodeNames'];
  const rawNodes = args['Nodes'];
  const NodeNames = rawNames === null || rawNames === undefined ? null : stringArray(rawNames, 'NodeNames');
  let Nodes: ExtenderArgs['Nodes'] = null;
  if (rawNodes !== null && rawNodes !== undefined) {
    const list = object(rawNodes, 'Nodes');
    if (!Array.isArray(list['items'])) throw new WireError('Nodes.items', 'must be an array of Node objects');
    const items: unknown[] = list['items'];
    // Field names are built only for a failing item: a cluster sends thousands of nodes.
    for (let i = 0; i < items.length; i++) if (!isNamed(items[i])) parseNode(items[i], `Nodes.items[${i}]`);
    Nodes = { items: items as NodeShape[] };
  }
  if (NodeNames === null && Nodes === null) {
    throw new WireError('NodeNames', 'one of NodeNames or Nodes must be set');
  }
  return { Pod, Nodes, NodeNames };
}

export function parseBindingArgs(body: unknown): ExtenderBindingArgs {
  const args = object(body, 'body');
  return {
    PodName: string(args['PodName'], 'PodName'),
    PodNamespace: string(args['PodNamespace'], 'PodNamespace'),
    PodUID: string(args['PodUID'], 'PodUID'),
    Node: string(args['Node'], 'Node'),
  };
}

function parseMetaVictims(v: unknown, field: string): MetaVictims {
  const victims = object(v, field);
  const pods = victims['Pods'];
  if (!Array.isArray(pods)) throw new WireError(`${field}.Pods`, 'must be an array');
  return {
    Pods: pods.map((p, i) => ({
      UID: string(object(p, `${field}.Pods[${i}]`)['UID'], `${field}.Pods[${i}].UID`),
    })),
    NumPDBViolations: typeof victims['NumPDBViolations'] === 'number' ? victims['NumPDBViolations'] : 0,
  };
}

export function parsePreemptionArgs(body: unknown): ExtenderPreemptionArgs {
  const args = object(body, 'body');
  const Pod = parsePod(args['Pod'], 'Pod');
  const full = args['NodeNameToVictims'];
  const meta = args['NodeNameToMetaVictims'];
  let NodeNameToMetaVictims: Record<string, MetaVictims> | null = null;
  let NodeNameToVictims: Record<string, { Pods: PodShape[]; NumPDBViolations: number }> | null = null;
  if (meta !== null && meta !== undefined) {
    NodeNameToMetaVictims = {};
    for (const [node, v] of Object.entries(object(meta, 'NodeNameToMetaVictims'))) {
      NodeNameToMetaVictims[node] = parseMetaVictims(v, `NodeNameToMetaVictims.${node}`);
    }
  }
  if (full !== null && full !== undefined) {
    NodeNameToVictims = {};
    for (const [node, v] of Object.entries(object(full, 'NodeNameToVictims'))) {
      const victims = object(v, `NodeNameToVictims.${node}`);
      const pods = victims['Pods'];
      if (!Array.isArray(pods)) throw new WireError(`NodeNameToVictims.${node}.Pods`, 'must be an array');
      NodeNameToVictims[node] = {
        // Only a victim's UID is read (the reply names victims by UID).
        Pods: pods.map((p, i) => parsePodIdentity(p, `NodeNameToVictims.${node}.Pods[${i}]`)),
        NumPDBViolations: typeof victims['NumPDBViolations'] === 'number' ? victims['NumPDBViolations'] : 0,
      };
    }
  }
  if (NodeNameToMetaVictims === null && NodeNameToVictims === null) {
    throw new WireError(
      'NodeNameToMetaVictims',
      'one of NodeNameToMetaVictims or NodeNameToVictims must be set',
    );
  }
  return { Pod, NodeNameToVictims, NodeNameToMetaVictims };
}
