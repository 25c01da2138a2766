// The one typed configuration of `phalanx serve`, with defaults and validation messages.
import { z } from 'zod';
import { DEFAULT_PLACEHOLDER_PRIORITY_CLASS } from '../core/autoscaling/placeholder-names.js';
import { DEFAULT_PROVISIONING_CLASS } from '../core/autoscaling/provisioning-requests.js';
import { DEFAULT_MAX_GROUP_SIZE, MAX_GROUP_SIZE } from '../core/demand-annotations.js';
import { DEFAULT_SCHEDULER_NAME, DEFAULT_TOPOLOGY_LEVELS } from '../core/names.js';
import { DEFAULT_MAX_GPUS_PER_POD, MAX_GPUS_PER_POD } from '../core/pod-demand.js';
import { GANG_COMMITS } from '../core/types.js';

const port = z.number().int().min(0).max(65535);
const host = z.string().min(1);
const tlsFiles = z.strictObject({ certFile: z.string().min(1), keyFile: z.string().min(1) });
/** The extender's HTTPS files: its serving pair and the CA that signs the scheduler's client certificate. */
const extenderTlsFiles = z.strictObject({
  certFile: z.string().min(1),
  keyFile: z.string().min(1),
  /**
   * PEM bundle of the CA(s) whose client certificates may call the extender (kube-scheduler's
   * `tlsConfig.certFile`). Use a CA dedicated to this, not the cluster CA: every holder of a
   * certificate it signed may call the verbs.
   */
  clientCaFile: z.string().min(1),
});

export const configSchema = z.strictObject({
  extender: z
    .strictObject({
      host: host.default('0.0.0.0'),
      port: port.default(8888),
      /**
       * HTTPS with client-certificate authentication: the scheduler's extender `tlsConfig` presents a
       * certificate signed by `clientCaFile`; any other caller is refused in the handshake. The three
       * files are reloaded when they change. Required unless `plainHttp` is set.
       */
      tls: extenderTlsFiles.optional(),
      /** Plain HTTP, no authentication: for local development only (a warning is logged at start). */
      plainHttp: z.boolean().default(false),
      /** Largest accepted request body; node-name mode bodies are small. */
      bodyLimitBytes: z
        .number()
        .int()
        .positive()
        .default(8 * 1024 * 1024),
    })
    .refine((e) => !(e.plainHttp && e.tls), {
      message: 'plainHttp and tls exclude each other',
      path: ['plainHttp'],
    })
    .prefault({}),
  /**
   * Plain HTTP for operators and probes, apart from the authenticated extender port: `/healthz`,
   * `/readyz`, `/metrics` and `/debug/ledger`. Keep it off the network beyond the kubelet and
   * Prometheus (deploy/phalanx/network-policy.yaml).
   */
  admin: z
    .strictObject({
      host: host.default('0.0.0.0'),
      port: port.default(9090),
    })
    .prefault({}),
  webhook: z
    .strictObject({
      enabled: z.boolean().default(true),
      host: host.default('0.0.0.0'),
      port: port.default(8443),
      /** Certificate files (e.g. from cert-manager), reloaded when they change. */
      tls: tlsFiles.optional(),
      /** Without files: generate a CA and serving certificate at start for these DNS names / IPs. */
      selfSignedHosts: z.array(z.string().min(1)).default(['phalanx-webhook.phalanx-system.svc']),
      /**
       * Without certificate files: the Secret (in the Lease's namespace) where the replicas keep one
       * self-managed CA and serving certificate, so a failover needs no new caBundle.
       */
      certificateSecret: z.string().min(1).default('phalanx-webhook-certificate'),
      /** Name of the MutatingWebhookConfiguration whose caBundle to patch with a self-signed CA. */
      configurationName: z.string().default('phalanx'),
      routeToScheduler: z.boolean().default(true),
      gateGangs: z.boolean().default(false),
      /** Usernames allowed to change decision annotations on UPDATE (Phalanx's own service account). */
      trustedUsernames: z.array(z.string()).default(['system:serviceaccount:phalanx-system:phalanx']),
    })
    .prefault({}),
  kube: z
    .strictObject({
      /** Path to a kubeconfig; absent: in-cluster configuration. */
      kubeconfig: z.string().min(1).optional(),
    })
    .prefault({}),
  schedulerName: z.string().min(1).default(DEFAULT_SCHEDULER_NAME),
  topology: z
    .strictObject({
      /** Node label keys, closest first. */
      levels: z
        .array(z.string().min(1))
        .min(1)
        .default([...DEFAULT_TOPOLOGY_LEVELS]),
    })
    .prefault({}),
  policy: z.string().min(1).default('phalanx'),
  /**
   * What the filter verb answers for a single pod (gang members keep their plan). `allFeasible`:
   * every node where it fits; prioritize ranks them and kube-scheduler adds its own plugin scores.
   * `bestTier`: only the nodes prioritize would score highest, at most `bestTierMaxNodes` of them in
   * the scheduler's order; kube-scheduler then scores only those (none when one is left, skipping
   * prioritize too), which costs it and the extender less CPU per pod, but its own preferences
   * (spreading, preferred affinity, balanced allocation) then choose only within that tier.
   */
  filter: z
    .strictObject({
      mode: z.enum(['allFeasible', 'bestTier']).default('allFeasible'),
      bestTierMaxNodes: z.number().int().min(1).max(10_000).default(16),
      /**
       * Right after a filter reply naming two or more nodes, compute the prioritize answer over them:
       * kube-scheduler asks for exactly that next, after its own score plugins. Off only wastes less
       * when another extender narrows the nodes after Phalanx (the answer then goes unused).
       */
      prioritizeAhead: z.boolean().default(true),
    })
    .prefault({}),
  /**
   * Bounds on what one pod may ask for, enforced by the webhook (a denial naming the field) and
   * again by the extender (filter answers "invalid request" naming the field), so no request costs
   * memory in proportion to a number it states.
   */
  limits: z
    .strictObject({
      /** Members of one gang: phalanx.dev/group-size, LeaderWorkerSet size, Job parallelism, PodGroup minMember/minCount. */
      maxGroupSize: z.number().int().min(1).max(MAX_GROUP_SIZE).default(DEFAULT_MAX_GROUP_SIZE),
      /** Whole nvidia.com/gpu devices of one pod. */
      maxGpusPerPod: z.number().int().min(1).max(MAX_GPUS_PER_POD).default(DEFAULT_MAX_GPUS_PER_POD),
    })
    .prefault({}),
  /**
   * The leader writes `phalanx.dev/gpu-milli` = GPUs × 1000 into each GPU node's status capacity and
   * allocatable, so Kueue's topology-aware admission and `kubectl describe node` count GPU shares.
   */
  advertiseGpuMilli: z.boolean().default(true),
  /**
   * When a gang's members are bound. `barrier`: none until every member has reached bind, then all
   * at once, so a gang is bound whole or not at all; the last member pays one Binding per member
   * after it arrives. `eager`: the plan still reserves the whole gang in one domain, but each member
   * is bound as soon as the scheduler reaches bind for it (as a LeaderWorkerSet leader is): the gang
   * starts about as fast as ungrouped pods, and one that cannot be completed is unwound (its bound
   * members evicted) once every member exists and the rest stayed pending past the half-bound grace.
   */
  gangCommit: z.enum(GANG_COMMITS).default('barrier'),
  timeouts: z
    .strictObject({
      /** How long a reservation made at filter time (or a gang plan) is held before bind. */
      reservationTtlMs: z.number().int().positive().default(60_000),
      /** How long a gang member's bind waits for the others; keep below the scheduler's httpTimeout. */
      bindBarrierMs: z.number().int().positive().default(25_000),
      /** Informer silence after which the watch is restarted. */
      watchStallMs: z.number().int().positive().default(300_000),
      /**
       * How long a gang may stay half-bound, every member created and the rest pending, before its
       * bound members are evicted so it is placed again whole; with `gangCommit: eager` this bounds
       * how long a gang that cannot be completed holds what it bound.
       */
      halfBoundGraceMs: z.number().int().min(10_000).max(3_600_000).default(120_000),
    })
    .prefault({}),
  leaderElection: z
    .strictObject({
      enabled: z.boolean().default(false),
      namespace: z.string().min(1).default('phalanx-system'),
      leaseName: z.string().min(1).default('phalanx'),
      identity: z.string().min(1).optional(),
      /** This replica's Pod; when set, the leader labels it so the Services route to the leader alone. */
      podName: z.string().min(1).optional(),
      /** The Pod's namespace (default: the Lease's namespace). */
      podNamespace: z.string().min(1).optional(),
    })
    .prefault({}),
  /**
   * GPU reservations (fractional GPUs on real nodes): one pod per shared physical GPU, created by the
   * leader in `namespace`, asking the NVIDIA device plugin for `nvidia.com/gpu: 1` on that node and
   * reporting the device's UUID (`phalanx reserve`, same image). Off: shares are ledger entries only.
   */
  reservations: z
    .strictObject({
      enabled: z.boolean().default(true),
      namespace: z.string().min(1).default('phalanx-reservations'),
      /** Phalanx's own image (the reservation container runs `phalanx reserve`). */
      image: z.string().min(1).default('phalanx:0.1.0'),
      imagePullPolicy: z.enum(['Always', 'IfNotPresent', 'Never']).default('IfNotPresent'),
      /** Arguments to the image's entrypoint; e.g. add `--nvidia-smi /usr/bin/nvidia-smi`. */
      args: z.array(z.string().min(1)).min(1).default(['reserve']),
      serviceAccountName: z.string().min(1).default('phalanx-reservation'),
      priorityClassName: z.string().min(1).default('phalanx-gpu-reservation'),
      /** RuntimeClass of the NVIDIA container runtime, when it is not the nodes' default runtime. */
      runtimeClassName: z.string().min(1).optional(),
      /** Longest the first share on a device waits at bind for its UUID; keep well below the scheduler's httpTimeout. */
      uuidWaitMs: z.number().int().positive().max(25_000).default(15_000),
      /** How long a reservation outlives the last share on its device. */
      releaseAfterMs: z.number().int().min(0).max(600_000).default(2_000),
    })
    .prefault({}),
  /**
   * What the webhook puts into the containers of fractional pods (resolved by the kubelet from the
   * decision annotations the Binding carries): the device, the fraction, its memory, and with
   * `hami` HAMi-core's limits.
   */
  shareEnv: z
    .strictObject({
      names: z
        .strictObject({
          visibleDevices: z.string().min(1).default('NVIDIA_VISIBLE_DEVICES'),
          fraction: z.string().min(1).default('PHALANX_GPU_FRACTION'),
          memoryMib: z.string().min(1).default('PHALANX_GPU_MEMORY_MIB'),
          hamiMemoryLimit: z.string().min(1).default('CUDA_DEVICE_MEMORY_LIMIT'),
          hamiSmLimit: z.string().min(1).default('CUDA_DEVICE_SM_LIMIT'),
        })
        .prefault({}),
      hami: z.boolean().default(false),
    })
    .prefault({}),
  /**
   * Phalanx's own preemption, for what kube-scheduler cannot preempt for: whole gangs and GPU shares
   * (app/preemption/preemption-controller.ts). Whole-GPU single pods keep the scheduler's preemption
   * with the preempt verb.
   */
  preemption: z
    .strictObject({
      enabled: z.boolean().default(true),
      /** How long capacity freed by a preemption is held for its preemptor (victims' grace periods included). */
      holdTtlMs: z.number().int().min(1_000).max(3_600_000).default(120_000),
      /** A preemptor is not decided for again sooner than this. */
      retryMs: z.number().int().min(100).max(600_000).default(10_000),
      /** Pods placed by other schedulers may be victims too (default: never). */
      allowOtherSchedulersVictims: z.boolean().default(false),
    })
    .prefault({}),
  /**
   * Demand an autoscaler can see (README "Autoscaling"): for fractional pods and gangs that stay
   * Unschedulable, the leader keeps low-priority placeholder pods asking for whole nvidia.com/gpu with
   * the same node constraints (a gang's together in one domain of its required level), scheduled by
   * the default scheduler, so cluster-autoscaler and Karpenter add nodes of the right pool; they are
   * deleted once scheduled (the room is handed to the real pods) or when the demand is gone. Off by default.
   */
  autoscaling: z
    .strictObject({
      enabled: z.boolean().default(false),
      /** Namespace of the placeholder pods: one the webhook does not mutate (deploy/autoscaling grants create there). */
      namespace: z.string().min(1).default('phalanx-system'),
      /** A PriorityClass with a negative value and preemptionPolicy Never (deploy/autoscaling/priority-class.yaml). */
      priorityClassName: z.string().min(1).default(DEFAULT_PLACEHOLDER_PRIORITY_CLASS),
      /** The placeholder container; it only has to start. */
      image: z.string().min(1).default('registry.k8s.io/pause:3.10'),
      /** How long a pod must have been Unschedulable before it counts as demand (the scheduler retries meanwhile). */
      pendingForMs: z.number().int().min(0).max(3_600_000).default(10_000),
      /** After a unit's placeholders were scheduled and handed off, how long it gets no new ones. */
      handoffGraceMs: z.number().int().min(0).max(3_600_000).default(120_000),
      /** How often the leader reconciles placeholders. */
      reconcileMs: z.number().int().min(1_000).max(600_000).default(5_000),
      /**
       * How long a gang's placeholders may stay half placed (the first in a domain with some room, the
       * rest unable to follow) before they are recreated outside that domain. Keep it above the time
       * the autoscaler takes to bring up all nodes of one scale-up: a gang whose first placeholder
       * landed on a node that just came up is waiting for the rest, not stuck.
       */
      gangStallMs: z.number().int().min(1_000).max(3_600_000).default(600_000),
      /**
       * `provisioningRequest`: while the autoscaling.x-k8s.io/v1 API is served (discovered), a waiting
       * gang gets one ProvisioningRequest of class `provisioningClassName` (all or nothing) instead of
       * placeholder pods, and its waiting pods are annotated as consuming it. Shares keep placeholders.
       */
      gangs: z.enum(['placeholders', 'provisioningRequest']).default('placeholders'),
      provisioningClassName: z.string().min(1).default(DEFAULT_PROVISIONING_CLASS),
      /** Most placeholder pods at once; whole gangs or share groups beyond it wait for a later pass. */
      maxPlaceholders: z.number().int().min(1).max(1_000).default(64),
    })
    .prefault({}),
  logLevel: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']).default('info'),
});

export type Config = z.infer<typeof configSchema>;
export type ConfigInput = z.input<typeof configSchema>;
