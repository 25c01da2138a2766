import type { V1Secret } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import {
  certificatesOf,
  sharedWebhookCertificates,
  unusableBecause,
  type SecretApi,
  type WebhookCertificates,
} from '../../src/kube/webhook-certificate-secret.js';
import { generateSelfSignedCertificates } from '../../src/webhook/tls.js';
import { recordingLogger } from '../fakes/kube-logger.js';

const HOSTS = ['phalanx-webhook.phalanx-system.svc'];
const apiError = (code: number) => Object.assign(new Error(`HTTP ${code}`), { code });

/** An in-memory Secret store with resourceVersion checks, and a hook to lose a race once. */
class FakeSecrets implements SecretApi {
  stored: V1Secret | undefined;
  writes = 0;
  beforeWrite: (() => void) | undefined;
  readNamespacedSecret(): Promise<V1Secret> {
    return this.stored ? Promise.resolve(structuredClone(this.stored)) : Promise.reject(apiError(404));
  }
  createNamespacedSecret(p: { body: V1Secret }): Promise<V1Secret> {
    this.beforeWrite?.();
    this.beforeWrite = undefined;
    if (this.stored) return Promise.reject(apiError(409));
    return Promise.resolve(this.store(p.body));
  }
  replaceNamespacedSecret(p: { body: V1Secret }): Promise<V1Secret> {
    this.beforeWrite?.();
    this.beforeWrite = undefined;
    if (p.body.metadata?.resourceVersion !== this.stored?.metadata?.resourceVersion)
      return Promise.reject(apiError(409));
    return Promise.resolve(this.store(p.body));
  }
  private store(body: V1Secret): V1Secret {
    this.writes += 1;
    this.stored = { ...body, metadata: { ...body.metadata, resourceVersion: String(this.writes) } };
    return this.stored;
  }
}

const generate = async (hosts: readonly string[], validityDays = 365): Promise<WebhookCertificates> => {
  return generateSelfSignedCertificates({ hosts, validityDays });
};
const options = (extra: Partial<Parameters<typeof sharedWebhookCertificates>[2]> = {}) => ({
  namespace: 'phalanx-system',
  name: 'phalanx-webhook-certificate',
  hosts: HOSTS,
  generate: (h: readonly string[]) => generate(h),
  ...extra,
});

describe('sharedWebhookCertificates', () => {
  it('stores new certificates when none exist, and every later replica serves those', async () => {
    const secrets = new FakeSecrets();
    const first = await sharedWebhookCertificates(secrets, recordingLogger(), options());
    const second = await sharedWebhookCertificates(secrets, recordingLogger(), options());
    expect(second).toEqual(first);
    expect(secrets.writes).toBe(1);
    expect(certificatesOf(secrets.stored!)).toEqual(first);
  });

  it('serves the certificates another replica stored first when it loses the race', async () => {
    const secrets = new FakeSecrets();
    const theirs = await generate(HOSTS);
    secrets.beforeWrite = () => {
      secrets.beforeWrite = undefined;
      void secrets.createNamespacedSecret({ body: { metadata: { name: 'x' }, data: b64(theirs) } });
    };
    const mine = await sharedWebhookCertificates(secrets, recordingLogger(), options());
    expect(mine).toEqual(theirs);
  });

  it('replaces stored certificates that expire soon or miss a host', async () => {
    const secrets = new FakeSecrets();
    const old = await generate(HOSTS, 10);
    await secrets.createNamespacedSecret({ body: { metadata: { name: 'x' }, data: b64(old) } });
    const served = await sharedWebhookCertificates(secrets, recordingLogger(), options());
    expect(served).not.toEqual(old);
    expect(certificatesOf(secrets.stored!)).toEqual(served);
    const moreHosts = await sharedWebhookCertificates(
      secrets,
      recordingLogger(),
      options({ hosts: [...HOSTS, '127.0.0.1'] }),
    );
    expect(moreHosts).not.toEqual(served);
    expect(unusableBecause(moreHosts, [...HOSTS, '127.0.0.1'], new Date(), 30)).toBeUndefined();
  });

  it('fails (so the caller falls back to its own CA) when the Secret cannot be read', async () => {
    const secrets = new FakeSecrets();
    secrets.readNamespacedSecret = () => Promise.reject(apiError(403));
    await expect(sharedWebhookCertificates(secrets, recordingLogger(), options())).rejects.toThrow(
      'HTTP 403',
    );
  });
});

function b64(p: WebhookCertificates): Record<string, string> {
  const e = (t: string) => Buffer.from(t).toString('base64');
  return { 'ca.crt': e(p.caCert), 'tls.crt': e(p.cert), 'tls.key': e(p.key) };
}
