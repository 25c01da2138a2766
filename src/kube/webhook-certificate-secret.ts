// One self-managed webhook certificate for every replica: the first replica to start generates a CA
// and a serving certificate and stores them in a Secret; the others (and any restarted replica) read
// that Secret, so whichever replica leads serves a certificate the published caBundle already
// trusts and a failover opens no window of TLS errors. A stored certificate that no longer covers the
// hosts or expires within `renewBeforeDays` is replaced (optimistic concurrency: a lost race re-reads).
import { X509Certificate } from 'node:crypto';
import { isIP } from 'node:net';
import type { V1Secret } from '@kubernetes/client-node';
import { describeError, httpStatusOf } from './api-errors.js';
import type { KubeLogger } from './kube-logger.js';

/** A CA and the serving pair it signed, PEM. */
export interface WebhookCertificates {
  readonly caCert: string;
  readonly cert: string;
  readonly key: string;
}

export interface SecretApi {
  readNamespacedSecret(param: { name: string; namespace: string }): Promise<V1Secret>;
  createNamespacedSecret(param: { namespace: string; body: V1Secret }): Promise<V1Secret>;
  replaceNamespacedSecret(param: { name: string; namespace: string; body: V1Secret }): Promise<V1Secret>;
}

export interface SharedCertificateOptions {
  readonly namespace: string;
  readonly name: string;
  /** DNS names and IPs the serving certificate must cover. */
  readonly hosts: readonly string[];
  readonly generate: (hosts: readonly string[]) => Promise<WebhookCertificates>;
  readonly now?: () => Date;
  readonly renewBeforeDays?: number;
}

const KEYS = { ca: 'ca.crt', cert: 'tls.crt', key: 'tls.key' } as const;
const ATTEMPTS = 4;
const DAY_MS = 86_400_000;

const decode = (secret: V1Secret, key: string): string | undefined => {
  const value = secret.data?.[key];
  return value === undefined ? undefined : Buffer.from(value, 'base64').toString('utf8');
};

/** The certificates a Secret holds, if it holds all three. */
export function certificatesOf(secret: V1Secret): WebhookCertificates | undefined {
  const [caCert, cert, key] = [decode(secret, KEYS.ca), decode(secret, KEYS.cert), decode(secret, KEYS.key)];
  return caCert && cert && key ? { caCert, cert, key } : undefined;
}

/** Why the stored certificate cannot serve (undefined: it can). */
export function unusableBecause(
  pems: WebhookCertificates,
  hosts: readonly string[],
  now: Date,
  renewBeforeDays: number,
): string | undefined {
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(pems.cert);
  } catch (err) {
    return `unreadable certificate: ${describeError(err)}`;
  }
  if (new Date(cert.validTo).getTime() - now.getTime() < renewBeforeDays * DAY_MS) return 'expires soon';
  const missing = hosts.filter((h) => (isIP(h) !== 0 ? !cert.checkIP(h) : !cert.checkHost(h)));
  return missing.length > 0 ? `does not cover ${missing.join(', ')}` : undefined;
}

function secretBody(
  opts: SharedCertificateOptions,
  pems: WebhookCertificates,
  resourceVersion?: string,
): V1Secret {
  const b64 = (text: string) => Buffer.from(text).toString('base64');
  return {
    metadata: {
      name: opts.name,
      namespace: opts.namespace,
      labels: { 'app.kubernetes.io/name': 'phalanx', 'app.kubernetes.io/component': 'webhook' },
      ...(resourceVersion === undefined ? {} : { resourceVersion }),
    },
    type: 'kubernetes.io/tls',
    data: { [KEYS.ca]: b64(pems.caCert), [KEYS.cert]: b64(pems.cert), [KEYS.key]: b64(pems.key) },
  };
}

/** The certificates every replica serves: the stored ones, or new ones this replica stores first. */
export async function sharedWebhookCertificates(
  api: SecretApi,
  logger: KubeLogger,
  opts: SharedCertificateOptions,
): Promise<WebhookCertificates> {
  const now = opts.now ?? (() => new Date());
  const renewBeforeDays = opts.renewBeforeDays ?? 30;
  const ref = { name: opts.name, namespace: opts.namespace };
  for (let attempt = 1; attempt <= ATTEMPTS; attempt += 1) {
    let stored: V1Secret | undefined;
    try {
      stored = await api.readNamespacedSecret(ref);
    } catch (err) {
      if (httpStatusOf(err) !== 404) throw err;
    }
    const current = stored === undefined ? undefined : certificatesOf(stored);
    const why =
      current === undefined ? 'none stored' : unusableBecause(current, opts.hosts, now(), renewBeforeDays);
    if (current !== undefined && why === undefined) return current;
    const fresh = await opts.generate(opts.hosts);
    try {
      if (stored === undefined)
        await api.createNamespacedSecret({ namespace: opts.namespace, body: secretBody(opts, fresh) });
      else
        await api.replaceNamespacedSecret({
          ...ref,
          body: secretBody(opts, fresh, stored.metadata?.resourceVersion),
        });
      logger.info({ secret: `${opts.namespace}/${opts.name}`, reason: why }, 'webhook certificate stored');
      return fresh;
    } catch (err) {
      // Another replica stored one first: serve that one.
      if (httpStatusOf(err) !== 409) throw err;
    }
  }
  throw new Error(
    `webhook certificate Secret ${opts.namespace}/${opts.name}: kept losing the race to store it`,
  );
}
