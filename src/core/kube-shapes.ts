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

export interface ContainerShape {
  readonly name?: string | undefined;
  /** "Always" on an init container makes it a sidecar (runs beside the app containers). */
  readonly restartPolicy?: string | undefined;
  readonly resources?:
    { readonly requests?: QuantityMap | undefined; readonly limits?: QuantityMap | undefined } | undefined;
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
      }
    | undefined;
  readonly status?: { readonly phase?: string | undefined } | undefined;
}

export interface NodeShape {
  readonly metadata?: ObjectMetaShape | undefined;
  readonly spec?: { readonly unschedulable?: boolean | undefined } | undefined;
  readonly status?:
    | { readonly allocatable?: QuantityMap | undefined; readonly capacity?: QuantityMap | undefined }
    | undefined;
}
