// Ports the admission use cases need from the outside world. src/kube implements them against the
// API server; tests use in-memory fakes. Contract file: keep every obligation written.

/** The parts of a batch/v1 Job a gang's size is read from. */
export interface JobFacts {
  /** spec.parallelism (Kubernetes defaults it to 1). */
  readonly parallelism?: number;
  /** spec.completions (required for Indexed Jobs). */
  readonly completions?: number;
}

/** The parts of an upstream Workload API PodGroup (scheduling.k8s.io/v1beta1) a gang is read from. */
export interface WorkloadPodGroupFacts {
  /** spec.schedulingPolicy.gang.minCount; absent under the `basic` policy (no gang). */
  readonly minCount?: number;
  /** spec.schedulingConstraints.topology[].key, in order (empty when there is none). */
  readonly topologyKeys: readonly string[];
}

/**
 * Reads the owner objects a gang's size comes from. Called on the admission hot path (once per pod of a
 * Job or PodGroup), so implementations should answer from an informer cache or a short-lived memo
 * (lru-cache with `max` and `ttl`) and go to the API server only on a miss.
 */
export interface OwnerReader {
  /** The Job, or undefined when it does not exist. Rejects when it cannot be read (the pod is then refused). */
  readJob(namespace: string, name: string): Promise<JobFacts | undefined>;
  /**
   * `spec.minMember` of a scheduler-plugins PodGroup (scheduling.x-k8s.io), or undefined when the
   * PodGroup does not exist. Rejects when it cannot be read.
   */
  readPodGroupMinMember(namespace: string, name: string): Promise<number | undefined>;
  /**
   * An upstream Workload API PodGroup (scheduling.k8s.io/v1beta1, Kubernetes ≥ 1.37), or undefined when
   * it does not exist or the API is not served (both answer 404). Rejects when it cannot be read.
   */
  readWorkloadPodGroup(namespace: string, name: string): Promise<WorkloadPodGroupFacts | undefined>;
}

/** The controller that creates a gang's pods. */
export interface OwnerRef {
  readonly namespace: string;
  readonly kind: string;
  readonly name: string;
  readonly uid: string;
}

/** The message of the newest refused pod creation recorded on an owner, if any. */
export interface CreateRefusals {
  latest(owner: OwnerRef): Promise<string | undefined>;
}
