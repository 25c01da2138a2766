// GPU reservation pods against the API server: the pod the leader creates for a shared device (bound
// with spec.nodeName, so no scheduler is involved and the kubelet admits it at once), its deletion
// guarded by UID, and the reservation container's merge patch of its own UUID annotation.
import { PatchStrategy, setHeaderOptions, type CoreV1Api, type V1Pod } from '@kubernetes/client-node';
import type {
  OwnPodAnnotator,
  ReservationPodRequest,
  ReservationPodWriter,
} from '../app/reservations/ports.js';
import { ReservationLabel } from '../core/devices/reservation-pods.js';
import { Resource } from '../core/names.js';
import { withTimeout } from './api-errors.js';
import { NamespacedPodWriter, type NamespacedPodApi } from './namespaced-pod-writer.js';

/** How reservation pods are built (config `reservations`). */
export interface ReservationPodOptions {
  readonly namespace: string;
  readonly image: string;
  readonly imagePullPolicy?: string | undefined;
  /** The container's arguments to the image's entrypoint (`phalanx`): default ["reserve"]. */
  readonly args: readonly string[];
  readonly serviceAccountName: string;
  readonly priorityClassName: string;
  /** The RuntimeClass of the NVIDIA container runtime, when it is not the node's default runtime. */
  readonly runtimeClassName?: string | undefined;
}

/** Annotation naming the device's node (label values cannot hold every node name). */
export const RESERVATION_NODE_ANNOTATION = 'phalanx.dev/gpu-reservation-node';

/**
 * The smallest pod that makes the device plugin hand out one device: one container that reports the
 * device and sleeps, `nvidia.com/gpu: 1`, memory requests = limits and a small CPU request without
 * a limit (a throttled Node.js start would delay the first share), every toleration (it must stay
 * wherever shares run), the restricted Pod Security profile, and a priority above any workload's so
 * neither the scheduler's preemption nor the kubelet's eviction picks it while shares live on it.
 */
export function reservationPodManifest(request: ReservationPodRequest, o: ReservationPodOptions): V1Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: request.name,
      namespace: o.namespace,
      labels: {
        'app.kubernetes.io/name': 'phalanx',
        'app.kubernetes.io/component': 'gpu-reservation',
        'app.kubernetes.io/part-of': 'phalanx',
        [ReservationLabel.role]: 'true',
        [ReservationLabel.device]: String(request.index),
      },
      annotations: { [RESERVATION_NODE_ANNOTATION]: request.node },
    },
    spec: {
      nodeName: request.node,
      serviceAccountName: o.serviceAccountName,
      priorityClassName: o.priorityClassName,
      ...(o.runtimeClassName !== undefined ? { runtimeClassName: o.runtimeClassName } : {}),
      restartPolicy: 'Always',
      terminationGracePeriodSeconds: 5,
      enableServiceLinks: false,
      tolerations: [{ operator: 'Exists' }],
      securityContext: {
        runAsNonRoot: true,
        runAsUser: 65532,
        runAsGroup: 65532,
        seccompProfile: { type: 'RuntimeDefault' },
      },
      containers: [
        {
          name: 'reserve',
          image: o.image,
          imagePullPolicy: o.imagePullPolicy ?? 'IfNotPresent',
          args: [...o.args],
          env: [
            { name: 'PHALANX_POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
            { name: 'PHALANX_POD_NAMESPACE', valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } },
            // nvidia-smi (the fallback when devices come through CDI) needs the utility libraries only.
            { name: 'NVIDIA_DRIVER_CAPABILITIES', value: 'utility' },
          ],
          resources: {
            requests: { cpu: '10m', memory: '96Mi', [Resource.nvidiaGpu]: '1' },
            limits: { memory: '96Mi', [Resource.nvidiaGpu]: '1' },
          },
          securityContext: {
            allowPrivilegeEscalation: false,
            readOnlyRootFilesystem: true,
            capabilities: { drop: ['ALL'] },
          },
        },
      ],
    },
  };
}

export type ReservationPodApi = NamespacedPodApi;

export class ApiReservationPods extends NamespacedPodWriter implements ReservationPodWriter {
  readonly #options: ReservationPodOptions;

  /** `api`: fenced on the Lease for both writes (serve.ts). */
  constructor(api: ReservationPodApi, options: ReservationPodOptions) {
    super(api, { namespace: options.namespace, what: 'reservation pod' });
    this.#options = options;
  }

  async create(request: ReservationPodRequest): Promise<'created' | 'exists'> {
    return this.createPod(reservationPodManifest(request, this.#options));
  }
}

const REQUEST_TIMEOUT_MS = 10_000;
const mergePatch = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);

/** The reservation container's own pod, patched with its ServiceAccount (patch on pods in its namespace). */
export class ApiOwnPodAnnotator implements OwnPodAnnotator {
  readonly #api: Pick<CoreV1Api, 'patchNamespacedPod'>;

  constructor(api: Pick<CoreV1Api, 'patchNamespacedPod'>) {
    this.#api = api;
  }

  async annotate(
    namespace: string,
    name: string,
    annotations: Readonly<Record<string, string>>,
  ): Promise<void> {
    await withTimeout(
      this.#api.patchNamespacedPod({ name, namespace, body: { metadata: { annotations } } }, mergePatch),
      REQUEST_TIMEOUT_MS,
      `annotate pod ${namespace}/${name}`,
    );
  }
}
