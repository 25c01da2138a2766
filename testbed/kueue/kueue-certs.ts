// TLS files for Kueue's webhook server on loopback: a throw-away CA and a serving certificate for
// IP 127.0.0.1 (the API server calls the webhooks by URL), named as controller-runtime expects them.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { loopbackCertificates } from '../loopback-certs.js';

export interface KueueCertificates {
  readonly dir: string;
  readonly certPem: string;
  readonly keyPem: string;
  /** Goes into the webhook configurations' caBundle. */
  readonly caPem: string;
}

export async function writeKueueCertificates(dir: string): Promise<KueueCertificates> {
  const { certPem, keyPem, caPem } = await loopbackCertificates('phalanx-kueue-local-ca', 7);
  await writeTlsPair(dir, certPem, keyPem);
  return { dir, certPem, keyPem, caPem };
}

/** Writes `tls.crt` and `tls.key` into `dir` (created if needed). */
export async function writeTlsPair(dir: string, certPem: string, keyPem: string): Promise<void> {
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'tls.crt'), certPem);
  await writeFile(join(dir, 'tls.key'), keyPem, { mode: 0o600 });
}
