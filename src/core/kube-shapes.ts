// The parts of Kubernetes Pod and Node objects that core reads. Structural, so the API client's
// objects, webhook JSON and test fixtures all fit without core importing any Kubernetes library.

export type StringMap = Readonly<Record<string, string>>;
export type QuantityMap = Readonly<Record<string, string | number>>;

export interface ObjectMetaShape {
  readonly name?: string | undefined;
  readonly generateName?: string | undefined;
  readonly namespace?: string | undefined;
  readonly uid?: string | undefined;
  readonly labels?: StringMap | undefined;
  readonly annotations?: StringMap | undefined;
  readonly deletionTimestamp?: string | Date | undefined;
  readonly creationTimestamp?: string | Date | undefined;
  readonly ownerReferences?:
    | readonly {
        readonly kind: string;
        readonly name: string;
        readonly uid?: string;
        readonly controller?: boolean;
      }[]
    | undefined;
}

/** A container port; only `hostPort` > 0 occupies a port on the node (protocol defaults to TCP, hostIP to 0.0.0.0). */
export interface ContainerPortShape {
  readonly name?: string | undefined;
  readonly containerPort?: number | undefined;
  readonly hostPort?: number | undefined;
  readonly protocol?: string | undefined;
  readonly hostIP?: string | undefined;
}

/** One requirement of a node selector term: operator In, NotIn, Exists, DoesNotExist, Gt or Lt. */
export interface NodeSelectorRequirementShape {
  readonly key: string;
  readonly operator: string;
  readonly values?: readonly string[] | undefined;
}

/** Expressions match node labels, fields match node fields (only metadata.name); both are ANDed. */
export interface NodeSelectorTermShape {
  readonly matchExpressions?: readonly NodeSelectorRequirementShape[] | undefined;
  readonly matchFields?: readonly NodeSelectorRequirementShape[] | undefined;
}

/** One requirement of a label selector: operator In, NotIn, Exists or DoesNotExist. */
export interface LabelSelectorRequirementShape {
  readonly key: string;
  readonly operator: string;
  readonly values?: readonly string[] | undefined;
}

export interface LabelSelectorShape {
  readonly matchLabels?: StringMap | undefined;
  readonly matchExpressions?: readonly LabelSelectorRequirementShape[] | undefined;
}

/** A required (anti-)affinity term: pods matching `labelSelector` in the same `topologyKey` domain. */
export interface PodAffinityTermShape {
  readonly labelSelector?: LabelSelectorShape | undefined;
  readonly namespaces?: readonly string[] | undefined;
  readonly namespaceSelector?: LabelSelectorShape | undefined;
  readonly topologyKey: string;
  readonly matchLabelKeys?: readonly string[] | undefined;
  readonly mismatchLabelKeys?: readonly string[] | undefined;
}

/** The scheduling-relevant (required) parts of spec.affinity; preferred terms are not read. */
export interface AffinityShape {
  readonly nodeAffinity?:
    | {
        readonly requiredDuringSchedulingIgnoredDuringExecution?:
          { readonly nodeSelectorTerms: readonly NodeSelectorTermShape[] } | undefined;
      }
    | undefined;
  readonly podAffinity?:
    | {
        readonly requiredDuringSchedulingIgnoredDuringExecution?: readonly PodAffinityTermShape[] | undefined;
      }
    | undefined;
  readonly podAntiAffinity?:
    | {
        readonly requiredDuringSchedulingIgnoredDuringExecution?: readonly PodAffinityTermShape[] | undefined;
      }
    | undefined;
}

export interface TopologySpreadConstraintShape {
  readonly maxSkew: number;
  readonly topologyKey: string;
  /** DoNotSchedule (a Filter rule) or ScheduleAnyway (scoring only). */
  readonly whenUnsatisfiable: string;
  readonly labelSelector?: LabelSelectorShape | undefined;
  readonly minDomains?: number | undefined;
  /** Honor (default) or Ignore. */
  readonly nodeAffinityPolicy?: string | undefined;
  /** Honor or Ignore (default). */
  readonly nodeTaintsPolicy?: string | undefined;
  readonly matchLabelKeys?: readonly string[] | undefined;
}

/** Operator defaults to Equal; an empty key with Exists tolerates every taint; an empty effect matches all. */
export interface TolerationShape {
  readonly key?: string | undefined;
  readonly operator?: string | undefined;
  readonly value?: string | undefined;
  readonly effect?: string | undefined;
  readonly tolerationSeconds?: number | undefined;
}

/** Effect NoSchedule, PreferNoSchedule or NoExecute. */
export interface TaintShape {
  readonly key: string;
  readonly value?: string | undefined;
  readonly effect: string;
}

/** A node condition such as { type: "Ready", status: "True" | "False" | "Unknown" }. */
export interface NodeConditionShape {
  readonly type: string;
  readonly status: string;
  readonly reason?: string | undefined;
  readonly message?: string | undefined;
}

export interface ContainerShape {
  readonly name?: string | undefined;
  /** "Always" on an init container makes it a sidecar (runs beside the app containers). */
  readonly restartPolicy?: string | undefined;
  readonly resources?:
    { readonly requests?: QuantityMap | undefined; readonly limits?: QuantityMap | undefined } | undefined;
  readonly ports?: readonly ContainerPortShape[] | undefined;
}

export interface PodShape {
  readonly metadata?: ObjectMetaShape | undefined;
  readonly spec?:
    | {
        readonly containers?: readonly ContainerShape[] | undefined;
        readonly initContainers?: readonly ContainerShape[] | undefined;
        readonly nodeName?: string | undefined;
        readonly schedulerName?: string | undefined;
        readonly schedulingGates?: readonly { readonly name: string }[] | undefined;
        readonly priority?: number | undefined;
        readonly nodeSelector?: StringMap | undefined;
        readonly affinity?: AffinityShape | undefined;
        readonly tolerations?: readonly TolerationShape[] | undefined;
        /** Resources the runtime itself uses for this pod (RuntimeClass overhead); added to its requests. */
        readonly overhead?: QuantityMap | undefined;
        readonly topologySpreadConstraints?: readonly TopologySpreadConstraintShape[] | undefined;
        /** The upstream Workload API PodGroup (scheduling.k8s.io) the pod belongs to (Kubernetes ≥ 1.37). */
        readonly schedulingGroup?: { readonly podGroupName?: string | undefined } | undefined;
      }
    | undefined;
  readonly status?:
    | {
        readonly phase?: string | undefined;
        /** Where kube-scheduler expects the pod to go after preempting for it. */
        readonly nominatedNodeName?: string | undefined;
      }
    | undefined;
}

export interface NodeShape {
  readonly metadata?: ObjectMetaShape | undefined;
  readonly spec?:
    | { readonly unschedulable?: boolean | undefined; readonly taints?: readonly TaintShape[] | undefined }
    | undefined;
  readonly status?:
    | {
        readonly allocatable?: QuantityMap | undefined;
        readonly capacity?: QuantityMap | undefined;
        readonly conditions?: readonly NodeConditionShape[] | undefined;
      }
    | undefined;
}
