// kube-scheduler extender wire types (k8s.io/kube-scheduler/extender/v1, types.go). The Go structs
// carry no json tags, so keys are the Go field names, PascalCase, and nil values travel as null.
// Embedded Kubernetes objects keep their usual lowerCamel JSON. Only src/extender sees these types;
// the use cases speak src/app/verbs.ts (docs/architecture.md, "Layers").
import type { NodeShape, PodShape } from '../core/kube-shapes.js';

/** Filter and prioritize request. Exactly one of Nodes / NodeNames is non-null (nodeCacheCapable). */
export interface ExtenderArgs {
  readonly Pod: PodShape;
  readonly Nodes: { readonly metadata?: unknown; readonly items: readonly NodeShape[] } | null;
  readonly NodeNames: readonly string[] | null;
}

/**
 * Filter reply. With nodeCacheCapable the survivors go in NodeNames, otherwise in Nodes (the
 * objects as received). Both null means "no feasible node". FailedAndUnresolvableNodes excludes a
 * node from preemption; FailedNodes lets preemption try it.
 */
export interface ExtenderFilterResult {
  Nodes: { metadata: Record<string, never>; items: NodeShape[] } | null;
  NodeNames: string[] | null;
  FailedNodes: Record<string, string>;
  FailedAndUnresolvableNodes: Record<string, string>;
  Error: string;
}

/** One prioritize entry; the reply is a bare array of these. Score is 0..10. */
export interface HostPriority {
  Host: string;
  Score: number;
}

export interface ExtenderBindingArgs {
  readonly PodName: string;
  readonly PodNamespace: string;
  readonly PodUID: string;
  readonly Node: string;
}

export interface ExtenderBindingResult {
  Error: string;
}

export interface MetaPod {
  UID: string;
}

export interface MetaVictims {
  Pods: MetaPod[];
  NumPDBViolations: number;
}

/** Preempt request: NodeNameToVictims (full pods) or NodeNameToMetaVictims (UIDs), the other null. */
export interface ExtenderPreemptionArgs {
  readonly Pod: PodShape;
  readonly NodeNameToVictims: Readonly<
    Record<string, { readonly Pods: readonly PodShape[]; readonly NumPDBViolations: number }>
  > | null;
  readonly NodeNameToMetaVictims: Readonly<Record<string, MetaVictims>> | null;
}

/** Preempt reply: always the UID form. */
export interface ExtenderPreemptionResult {
  NodeNameToMetaVictims: Record<string, MetaVictims>;
}
