import { describe, expect, it } from 'vitest';
import { pointWebhooksAt } from '../../testbed/webhook-registration.js';

const CA = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';

describe('pointWebhooksAt', () => {
  const config = {
    apiVersion: 'admissionregistration.k8s.io/v1',
    kind: 'MutatingWebhookConfiguration',
    metadata: { name: 'phalanx' },
    webhooks: [
      {
        name: 'pods.phalanx.dev',
        clientConfig: { service: { name: 'phalanx', namespace: 'phalanx-system', path: '/mutate' } },
      },
      {
        name: 'other.phalanx.dev',
        clientConfig: { service: { name: 'phalanx', namespace: 'phalanx-system' } },
      },
    ],
  };

  it("replaces the Service reference by a URL keeping the Service's path, with the CA bundle", () => {
    const out = pointWebhooksAt(config, 'https://127.0.0.1:9443', CA);
    expect(out.webhooks?.[0]?.clientConfig).toEqual({
      url: 'https://127.0.0.1:9443/mutate',
      caBundle: Buffer.from(CA).toString('base64'),
    });
  });

  it('uses the path of the given URL when the Service reference has none', () => {
    const out = pointWebhooksAt(config, 'https://127.0.0.1:9443/admit', CA);
    expect(out.webhooks?.[1]?.clientConfig?.url).toBe('https://127.0.0.1:9443/admit');
  });

  it('keeps every other field and leaves the input untouched', () => {
    const out = pointWebhooksAt(config, 'https://127.0.0.1:9443', CA);
    expect(out.metadata).toEqual({ name: 'phalanx' });
    expect(out.webhooks?.map((w) => (w as { name?: string }).name)).toEqual([
      'pods.phalanx.dev',
      'other.phalanx.dev',
    ]);
    expect(config.webhooks[0]?.clientConfig).toHaveProperty('service');
  });
});
