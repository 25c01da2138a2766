import { describe, expect, it } from 'vitest';
import {
  kueueConfiguration,
  localKueueWebhooks,
  type WebhookConfigurationDoc,
} from '../../../testbed/kueue/kueue-manifests.js';

const CA = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';

function upstreamShaped(): WebhookConfigurationDoc {
  const hook = (name: string, path: string) => ({
    name,
    clientConfig: { service: { name: 'webhook-service', namespace: 'system', path } },
  });
  return {
    apiVersion: 'admissionregistration.k8s.io/v1',
    kind: 'MutatingWebhookConfiguration',
    metadata: { name: 'mutating-webhook-configuration' },
    webhooks: [hook('mjob.kb.io', '/mutate-batch-v1-job'), hook('mpod.kb.io', '/mutate--v1-pod')],
  };
}

describe('kueueConfiguration', () => {
  const config = kueueConfiguration({ webhookPort: 9443, healthPort: 8081, certDir: '/state/certs' });

  it('listens on loopback only, with metrics off and certificates from files', () => {
    expect(config['health']).toEqual({ healthProbeBindAddress: '127.0.0.1:8081' });
    expect(config['metrics']).toEqual({ bindAddress: '0' });
    expect(config['webhook']).toEqual({ host: '127.0.0.1', port: 9443, certDir: '/state/certs' });
    expect(config['internalCertManagement']).toEqual({ enable: false });
    expect(config['leaderElection']).toEqual({ leaderElect: false });
  });

  it('counts a whole GPU as 1000 milli-GPU as well, keeping nvidia.com/gpu', () => {
    expect(config['resources']).toEqual({
      transformations: [
        { input: 'nvidia.com/gpu', strategy: 'Retain', outputs: { 'phalanx.dev/gpu-milli': '1000' } },
      ],
    });
  });

  it('manages Jobs, Deployments, StatefulSets and plain pods, only those with a queue name', () => {
    expect(config['integrations']).toEqual({ frameworks: ['batch/job', 'pod', 'deployment', 'statefulset'] });
    expect(config['manageJobsWithoutQueueName']).toBe(false);
  });
});

describe('localKueueWebhooks', () => {
  const local = localKueueWebhooks(upstreamShaped(), 'https://127.0.0.1:9443', CA);

  it('calls every webhook by URL at the path its Service reference named, trusting the CA', () => {
    expect(local.webhooks?.map((h) => h.clientConfig)).toEqual([
      { url: 'https://127.0.0.1:9443/mutate-batch-v1-job', caBundle: Buffer.from(CA).toString('base64') },
      { url: 'https://127.0.0.1:9443/mutate--v1-pod', caBundle: Buffer.from(CA).toString('base64') },
    ]);
  });

  it('keeps the pod webhook out of the system namespaces and leaves the Job webhook unscoped', () => {
    const [job, pod] = local.webhooks ?? [];
    expect(job?.namespaceSelector).toBeUndefined();
    expect(pod?.namespaceSelector).toEqual({
      matchExpressions: [
        { key: 'kubernetes.io/metadata.name', operator: 'NotIn', values: ['kube-system', 'kueue-system'] },
      ],
    });
  });

  it('names the configuration as upstream installs it, once', () => {
    expect(local.metadata?.name).toBe('kueue-mutating-webhook-configuration');
    expect(localKueueWebhooks(local, 'https://127.0.0.1:1', CA).metadata?.name).toBe(
      'kueue-mutating-webhook-configuration',
    );
  });
});
