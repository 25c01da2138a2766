// Capacity placeholder pods against the API server. A placeholder is the smallest pod an autoscaler
// scales for: the pause image asking for whole nvidia.com/gpu (plus the CPU and memory of the pods it
// stands for), with their node selector, required node affinity and tolerations, the gang's pod
// affinity, a negative-priority class (preempted by any real pod, never preempting), no scheduler
// name (the cluster's default scheduler, which cluster-autoscaler and Karpenter simulate) and a grace
// period of 0, so a deleted placeholder frees its devices at once. It lives in a namespace the webhook
// does not mutate, so it stays exactly as written.
import type { V1Affinity, V1NodeSelectorRequirement, V1Pod, V1Toleration } from '@kubernetes/client-node';
import type { PlaceholderPodWriter } from '../app/autoscaling/ports.js';
import { PlaceholderAnnotation, PlaceholderLabel } from '../core/autoscaling/placeholder-names.js';
import type { PlaceholderSpec } from '../core/autoscaling/placeholder-plan.js';
import type { NodeSelectorRequirementShape, TolerationShape } from '../core/kube-shapes.js';
import { Resource } from '../core/names.js';
import { NamespacedPodWriter, type NamespacedPodApi } from './namespaced-pod-writer.js';

/** How placeholder pods are built (config `autoscaling`). */
export interface PlaceholderPodOptions {
  readonly namespace: string;
  readonly image: string;
  readonly priorityClassName: string;
}

function requirement(r: NodeSelectorRequirementShape): V1NodeSelectorRequirement {
  return { key: r.key, operator: r.operator, ...(r.values !== undefined ? { values: [...r.values] } : {}) };
}

/** A copy without undefined fields (the client's types are exact). */
function toleration(t: TolerationShape): V1Toleration {
  return JSON.parse(JSON.stringify(t)) as V1Toleration;
}

function affinityOf(spec: PlaceholderSpec): V1Affinity | undefined {
  const terms = spec.constraints.nodeAffinityTerms;
  const affinity: V1Affinity = {
    ...(terms !== undefined
      ? {
          nodeAffinity: {
            requiredDuringSchedulingIgnoredDuringExecution: {
              nodeSelectorTerms: terms.map((t) => ({
                ...(t.matchExpressions !== undefined
                  ? { matchExpressions: t.matchExpressions.map(requirement) }
                  : {}),
                ...(t.matchFields !== undefined ? { matchFields: t.matchFields.map(requirement) } : {}),
              })),
            },
          },
        }
      : {}),
    ...(spec.colocateKey !== undefined
      ? {
          podAffinity: {
            requiredDuringSchedulingIgnoredDuringExecution: [
              {
                labelSelector: { matchLabels: { [PlaceholderLabel.unit]: spec.unit } },
                topologyKey: spec.colocateKey,
              },
            ],
          },
        }
      : {}),
  };
  return Object.keys(affinity).length > 0 ? affinity : undefined;
}

export function placeholderPodManifest(spec: PlaceholderSpec, o: PlaceholderPodOptions): V1Pod {
  const gpus = String(spec.gpus);
  const affinity = affinityOf(spec);
  const { nodeSelector, tolerations } = spec.constraints;
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: spec.name,
      namespace: o.namespace,
      labels: {
        'app.kubernetes.io/name': 'phalanx',
        'app.kubernetes.io/component': 'capacity-placeholder',
        'app.kubernetes.io/part-of': 'phalanx',
        [PlaceholderLabel.unit]: spec.unit,
        [PlaceholderLabel.kind]: spec.kind,
      },
      annotations: {
        [PlaceholderAnnotation.spec]: spec.specHash,
        [PlaceholderAnnotation.demand]: spec.demand,
      },
    },
    spec: {
      priorityClassName: o.priorityClassName,
      terminationGracePeriodSeconds: 0,
      automountServiceAccountToken: false,
      enableServiceLinks: false,
      restartPolicy: 'Always',
      ...(nodeSelector !== undefined ? { nodeSelector: { ...nodeSelector } } : {}),
      ...(affinity !== undefined ? { affinity } : {}),
      ...(tolerations !== undefined ? { tolerations: tolerations.map(toleration) } : {}),
      securityContext: {
        runAsNonRoot: true,
        runAsUser: 65535,
        runAsGroup: 65535,
        seccompProfile: { type: 'RuntimeDefault' },
      },
      containers: [
        {
          name: 'placeholder',
          image: o.image,
          imagePullPolicy: 'IfNotPresent',
          resources: {
            requests: {
              [Resource.nvidiaGpu]: gpus,
              ...(spec.cpuMilli > 0 ? { cpu: `${spec.cpuMilli}m` } : {}),
              ...(spec.memoryBytes > 0 ? { memory: String(spec.memoryBytes) } : {}),
            },
            limits: { [Resource.nvidiaGpu]: gpus },
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

export type PlaceholderPodApi = NamespacedPodApi;

export class ApiPlaceholderPods extends NamespacedPodWriter implements PlaceholderPodWriter {
  readonly #options: PlaceholderPodOptions;

  /** `api`: fenced on the Lease for both writes (serve.ts). */
  constructor(api: PlaceholderPodApi, options: PlaceholderPodOptions) {
    super(api, { namespace: options.namespace, what: 'placeholder pod', deleteGraceSeconds: 0 });
    this.#options = options;
  }

  async create(spec: PlaceholderSpec): Promise<'created' | 'exists'> {
    return this.createPod(placeholderPodManifest(spec, this.#options));
  }
}
