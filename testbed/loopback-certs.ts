// A throw-away CA and a serving certificate for IP 127.0.0.1, for webhooks the API server calls by URL
// on loopback (it verifies the IP SAN and ignores the CN). Shared by Phalanx's and Kueue's webhooks.
import { generate } from 'selfsigned';

export interface LoopbackCertificates {
  readonly certPem: string;
  readonly keyPem: string;
  /** Goes into the webhook configurations' caBundle. */
  readonly caPem: string;
}

const DAY_MS = 86_400_000;

export async function loopbackCertificates(caName: string, validDays: number): Promise<LoopbackCertificates> {
  const notBeforeDate = new Date(Date.now() - 60_000);
  const notAfterDate = new Date(Date.now() + validDays * DAY_MS);
  const common = { keyType: 'ec', algorithm: 'sha256', notBeforeDate, notAfterDate } as const;
  const ca = await generate([{ name: 'commonName', value: caName }], {
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
  return { certPem: serving.cert, keyPem: serving.private, caPem: ca.cert };
}
