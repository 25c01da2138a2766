// TLS files for the webhook served on loopback: a throw-away CA and a serving certificate with an IP
// SAN for 127.0.0.1 (the API server calls the webhook by URL and ignores the CN), written where
// Phalanx's webhook.tls.certFile/keyFile point. The CA's PEM becomes the configuration's caBundle.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { loopbackCertificates } from './loopback-certs.js';

export interface WebhookCertificateFiles {
  readonly certFile: string;
  readonly keyFile: string;
  readonly caPem: string;
}

export async function writeWebhookCertificates(dir: string): Promise<WebhookCertificateFiles> {
  const { certPem, keyPem, caPem } = await loopbackCertificates('phalanx-e2e-ca', 2);
  const certFile = join(dir, 'webhook.crt');
  const keyFile = join(dir, 'webhook.key');
  await writeFile(certFile, certPem);
  await writeFile(keyFile, keyPem, { mode: 0o600 });
  return { certFile, keyFile, caPem };
}
