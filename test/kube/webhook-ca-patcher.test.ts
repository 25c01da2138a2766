import {
  ApiException,
  type ConfigurationOptions,
  type V1MutatingWebhookConfiguration,
} from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import {
  caBundleMergePatch,
  patchWebhookCaBundle,
  type WebhookConfigurationApi,
} from '../../src/kube/webhook-ca-patcher.js';
import { recordingLogger } from '../fakes/kube-logger.js';
import { contentTypeOf } from '../fakes/kube-pod-api.js';

const CA = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';
const CA_B64 = Buffer.from(CA).toString('base64');

function configuration(caBundles: (string | undefined)[]): V1MutatingWebhookConfiguration {
  return {
    metadata: { name: 'phalanx' },
    webhooks: caBundles.map((caBundle, i) => ({
      name: `w${i}.phalanx.dev`,
      admissionReviewVersions: ['v1'],
      sideEffects: 'None',
      clientConfig: { url: 'https://127.0.0.1:9443/mutate', ...(caBundle ? { caBundle } : {}) },
    })),
  };
}

class FakeWebhookApi implements WebhookConfigurationApi {
  config: V1MutatingWebhookConfiguration | undefined;
  readonly patches: { name: string; body: unknown; contentType: string | undefined }[] = [];
  /** Statuses the next calls fail with, in order. */
  readonly failures: number[] = [];

  constructor(config?: V1MutatingWebhookConfiguration) {
    this.config = config;
  }

  readMutatingWebhookConfiguration = (p: { name: string }): Promise<V1MutatingWebhookConfiguration> => {
    const status = this.failures.shift();
    if (status !== undefined) return Promise.reject(new ApiException(status, 'x', { message: 'x' }, {}));
    if (this.config === undefined || this.config.metadata?.name !== p.name) {
      return Promise.reject(new ApiException(404, 'not found', { message: 'not found' }, {}));
    }
    return Promise.resolve(structuredClone(this.config));
  };

  patchMutatingWebhookConfiguration = async (
    p: { name: string; body: unknown },
    options?: ConfigurationOptions,
  ): Promise<V1MutatingWebhookConfiguration> => {
    this.patches.push({ name: p.name, body: p.body, contentType: await contentTypeOf(options) });
    const body = p.body as { webhooks: { name: string; clientConfig: { caBundle: string } }[] };
    for (const w of this.config?.webhooks ?? []) {
      const update = body.webhooks.find((u) => u.name === w.name);
      if (update) w.clientConfig.caBundle = update.clientConfig.caBundle;
    }
    return this.config as V1MutatingWebhookConfiguration;
  };
}

const noSleep = (delays: number[]) => (ms: number) => {
  delays.push(ms);
  return Promise.resolve();
};

describe('patchWebhookCaBundle', () => {
  it('sets caBundle on every webhook by a strategic-merge patch keyed on name', async () => {
    const api = new FakeWebhookApi(configuration([undefined, 'b2xk']));
    const result = await patchWebhookCaBundle(api, recordingLogger(), {
      configurationName: 'phalanx',
      caPem: CA,
    });
    expect(result).toEqual({ patched: ['w0.phalanx.dev', 'w1.phalanx.dev'], attempts: 1 });
    expect(api.patches).toEqual([
      {
        name: 'phalanx',
        contentType: 'application/strategic-merge-patch+json',
        body: {
          webhooks: [
            { name: 'w0.phalanx.dev', clientConfig: { caBundle: CA_B64 } },
            { name: 'w1.phalanx.dev', clientConfig: { caBundle: CA_B64 } },
          ],
        },
      },
    ]);
    expect(api.config?.webhooks?.map((w) => w.clientConfig.caBundle)).toEqual([CA_B64, CA_B64]);
    expect(api.config?.webhooks?.[0]?.clientConfig.url).toBe('https://127.0.0.1:9443/mutate');
  });

  it('writes only the webhooks that lack the bundle, and nothing when all carry it', async () => {
    const api = new FakeWebhookApi(configuration([CA_B64, undefined]));
    const first = await patchWebhookCaBundle(api, recordingLogger(), {
      configurationName: 'phalanx',
      caPem: CA,
    });
    expect(first.patched).toEqual(['w1.phalanx.dev']);
    const second = await patchWebhookCaBundle(api, recordingLogger(), {
      configurationName: 'phalanx',
      caPem: CA,
    });
    expect(second.patched).toEqual([]);
    expect(api.patches).toHaveLength(1);
  });

  it('retries with doubling delays until the configuration appears, logging each failure', async () => {
    const api = new FakeWebhookApi(configuration([undefined]));
    api.failures.push(404, 503, 500);
    const delays: number[] = [];
    const logger = recordingLogger();
    const result = await patchWebhookCaBundle(api, logger, {
      configurationName: 'phalanx',
      caPem: CA,
      initialDelayMs: 100,
      maxDelayMs: 300,
      sleep: noSleep(delays),
    });
    expect(result.attempts).toBe(4);
    expect(delays).toEqual([100, 200, 300]);
    expect(logger.lines.filter((l) => l.level === 'warn')).toHaveLength(3);
    expect(logger.lines.at(-1)).toMatchObject({ level: 'info', msg: 'webhook caBundle patched' });
  });

  it('gives up after the last attempt with the API error, logged as an error', async () => {
    const api = new FakeWebhookApi(undefined);
    const logger = recordingLogger();
    const delays: number[] = [];
    await expect(
      patchWebhookCaBundle(api, logger, {
        configurationName: 'phalanx',
        caPem: CA,
        attempts: 3,
        sleep: noSleep(delays),
      }),
    ).rejects.toMatchObject({ code: 404 });
    expect(delays).toHaveLength(2);
    expect(logger.lines.at(-1)).toMatchObject({ level: 'error' });
    expect(api.patches).toHaveLength(0);
  });

  it('refuses a configuration without webhooks', async () => {
    const api = new FakeWebhookApi({ metadata: { name: 'phalanx' }, webhooks: [] });
    await expect(
      patchWebhookCaBundle(api, recordingLogger(), { configurationName: 'phalanx', caPem: CA, attempts: 1 }),
    ).rejects.toThrow(/has no webhooks/);
  });
});

describe('caBundleMergePatch', () => {
  it('sets base64 PEM on each named webhook', () => {
    expect(caBundleMergePatch('PEM\n', ['a.phalanx.dev', 'b.phalanx.dev'])).toEqual({
      webhooks: [
        { name: 'a.phalanx.dev', clientConfig: { caBundle: 'UEVNCg==' } },
        { name: 'b.phalanx.dev', clientConfig: { caBundle: 'UEVNCg==' } },
      ],
    });
  });
});
