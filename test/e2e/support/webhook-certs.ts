// TLS files for the webhook served on loopback: a throw-away CA and a serving certificate with an IP
// SAN for 127.0.0.1 (the API server calls the webhook by URL and ignores the CN), written where
// Phalanx's webhook.tls.certFile/keyFile point. The CA's PEM becomes the configuration's caBundle.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { generate } from 'selfsigned';

export interface WebhookCertificateFiles {
  readonly certFile: string;
  readonly keyFile: string;
  readonly caPem: string;
}

export async function writeWebhookCertificates(dir: string): Promise<WebhookCertificateFiles> {
  const notBeforeDate = new Date(Date.now() - 60_000);
  const notAfterDate = new Date(Date.now() + 2 * 86_400_000);
  const common = { keyType: 'ec', algorithm: 'sha256', notBeforeDate, notAfterDate } as const;
  const ca = await generate([{ name: 'commonName', value: 'phalanx-e2e-ca' }], {
    ...common,
    extensions: [
      { name: 'basicConstraints', cA: true, critical: true },
      { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true },
    ],
  });
  const serving = await generate([{ name: 'commonName', value: '127.0.0.1' }], {
    ...common,
    ca: { key: ca.private, cert: ca.cert },
    extensions: [
      { name: 'basicConstraints', cA: false },
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
      { name: 'extKeyUsage', serverAuth: true },
      { name: 'subjectAltName', altNames: [{ type: 7, ip: '127.0.0.1' }] },
    ],
  });
  const certFile = join(dir, 'webhook.crt');
  const keyFile = join(dir, 'webhook.key');
  await writeFile(certFile, serving.cert);
  await writeFile(keyFile, serving.private, { mode: 0o600 });
  return { certFile, keyFile, caPem: ca.cert };
}
