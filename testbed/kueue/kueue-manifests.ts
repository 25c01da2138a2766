// What Kueue needs to run out of cluster next to the local test cluster (protocol.md §5.5), as pure
// functions: its Configuration, and its webhook configurations pointed at 127.0.0.1 by URL.
import { Resource } from '../../src/core/names.js';
import { pointWebhooksAt } from '../webhook-registration.js';

/** On-demand visibility wants its own serving certificates; the scenarios do not use it. */
export const KUEUE_FEATURE_GATES = 'VisibilityOnDemand=false';
/** Namespaces Kueue's pod-level webhooks skip, as upstream's config/components/webhook kustomization sets. */
export const KUEUE_EXCLUDED_NAMESPACES = ['kube-system', 'kueue-system'] as const;
/** Upstream's config/default names everything with this prefix; the generic names would collide. */
const NAME_PREFIX = 'kueue-';
const POD_LEVEL_WEBHOOKS = new Set([
  'mpod.kb.io',
  'mdeployment.kb.io',
  'mstatefulset.kb.io',
  'vpod.kb.io',
  'vdeployment.kb.io',
  'vstatefulset.kb.io',
]);

export interface KueueRunSettings {
  readonly webhookPort: number;
  readonly healthPort: number;
  /** Directory holding tls.crt and tls.key of a certificate for IP 127.0.0.1. */
  readonly certDir: string;
}

/**
 * Kueue's Configuration (config.kueue.x-k8s.io/v1beta2) for one out-of-cluster manager: every
 * listener on loopback, metrics off, certificates from files, no leader election.
 *
 * The transformation makes Kueue count a whole GPU as 1000 milli-GPU *in addition to* one
 * nvidia.com/gpu: phalanx.dev/gpu-milli then measures every workload's share of the devices (whole
 * and fractional alike), so one quota in it bounds the physical devices, and borrowing whole GPUs
 * shows up as borrowed device share that a fractional workload can reclaim. Kueue's topology-aware
 * admission also checks the transformed resource against node capacity, which Phalanx advertises
 * (src/kube/gpu-milli-advertiser.ts).
 */
export function kueueConfiguration(settings: KueueRunSettings): Record<string, unknown> {
  return {
    apiVersion: 'config.kueue.x-k8s.io/v1beta2',
    kind: 'Configuration',
    health: { healthProbeBindAddress: `127.0.0.1:${settings.healthPort}` },
    metrics: { bindAddress: '0' },
    webhook: { host: '127.0.0.1', port: settings.webhookPort, certDir: settings.certDir },
    internalCertManagement: { enable: false },
    leaderElection: { leaderElect: false },
    manageJobsWithoutQueueName: false,
    integrations: { frameworks: ['batch/job', 'pod', 'deployment', 'statefulset'] },
    resources: {
      transformations: [
        { input: Resource.nvidiaGpu, strategy: 'Retain', outputs: { [Resource.gpuMilli]: '1000' } },
      ],
    },
  };
}

interface Webhook {
  name?: string;
  namespaceSelector?: unknown;
  clientConfig?: { url?: string; service?: { path?: string }; caBundle?: string };
}
export interface WebhookConfigurationDoc {
  apiVersion?: string;
  kind?: string;
  metadata?: { name?: string };
  webhooks?: Webhook[];
}

/**
 * One of Kueue's webhook configurations as the local cluster needs it: each webhook called by URL
 * at `url` + the path of its Service reference, with `caPem` as CA bundle; pod, Deployment and
 * StatefulSet webhooks skip the system namespaces; the configuration named as upstream installs it.
 */
export function localKueueWebhooks(
  doc: WebhookConfigurationDoc,
  url: string,
  caPem: string,
): WebhookConfigurationDoc {
  const pointed: WebhookConfigurationDoc = pointWebhooksAt(doc, url, caPem);
  const name = doc.metadata?.name ?? '';
  return {
    ...pointed,
    metadata: { ...pointed.metadata, name: name.startsWith(NAME_PREFIX) ? name : NAME_PREFIX + name },
    webhooks: (pointed.webhooks ?? []).map((hook) =>
      POD_LEVEL_WEBHOOKS.has(hook.name ?? '')
        ? {
            ...hook,
            namespaceSelector: {
              matchExpressions: [
                {
                  key: 'kubernetes.io/metadata.name',
                  operator: 'NotIn',
                  values: [...KUEUE_EXCLUDED_NAMESPACES],
                },
              ],
            },
          }
        : hook,
    ),
  };
}
