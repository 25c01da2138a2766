// TLS files for Kueue's webhook server on loopback: a throw-away CA and a serving certificate for
// IP 127.0.0.1 (the API server calls the webhooks by URL), named as controller-runtime expects them.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { generate } from 'selfsigned';

export interface KueueCertificates {
  readonly dir: string;
  readonly certPem: string;
  readonly keyPem: string;
  /** Goes into the webhook configurations' caBundle. */
  readonly caPem: string;
}

const DAY_MS = 86_400_000;

export async function writeKueueCertificates(dir: string): Promise<KueueCertificates> {
  const notBeforeDate = new Date(Date.now() - 60_000);
  const notAfterDate = new Date(Date.now() + 7 * DAY_MS);
  const common = { keyType: 'ec', algorithm: 'sha256', notBeforeDate, notAfterDate } as const;
  const ca = await generate([{ name: 'commonName', value: 'phalanx-kueue-local-ca' }], {
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
  await writeTlsPair(dir, serving.cert, serving.private);
  return { dir, certPem: serving.cert, keyPem: serving.private, caPem: ca.cert };
}

/** Writes `tls.crt` and `tls.key` into `dir` (created if needed). */
export async function writeTlsPair(dir: string, certPem: string, keyPem: string): Promise<void> {
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'tls.crt'), certPem);
  await writeFile(join(dir, 'tls.key'), keyPem, { mode: 0o600 });
}
