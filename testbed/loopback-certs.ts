// Throw-away CAs and certificates for loopback: a serving certificate for IP 127.0.0.1, for servers
// called by URL on loopback (the API server calling webhooks verifies the IP SAN and ignores the CN;
// so does kube-scheduler calling the extender), and client certificates for mutual TLS (the
// scheduler's extender tlsConfig). Shared by Phalanx's and Kueue's webhooks and the extender.
import { generate } from 'selfsigned';

export interface LoopbackCertificates {
  readonly certPem: string;
  readonly keyPem: string;
  /** Goes into the webhook configurations' caBundle. */
  readonly caPem: string;
}

/** A CA whose key is kept, so it can sign more than one certificate. */
export interface LoopbackCa {
  readonly certPem: string;
  readonly keyPem: string;
}

export interface KeyPair {
  readonly certPem: string;
  readonly keyPem: string;
}

const DAY_MS = 86_400_000;

function validity(validDays: number) {
  const notBeforeDate = new Date(Date.now() - 60_000);
  const notAfterDate = new Date(Date.now() + validDays * DAY_MS);
  return { keyType: 'ec', algorithm: 'sha256', notBeforeDate, notAfterDate } as const;
}

export async function loopbackCa(caName: string, validDays: number): Promise<LoopbackCa> {
  const ca = await generate([{ name: 'commonName', value: caName }], {
    ...validity(validDays),
    extensions: [
      { name: 'basicConstraints', cA: true, critical: true },
      { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true },
    ],
  });
  return { certPem: ca.cert, keyPem: ca.private };
}

/** A serving certificate for IP 127.0.0.1 signed by the CA. */
export async function loopbackServing(ca: LoopbackCa, validDays: number): Promise<KeyPair> {
  const serving = await generate([{ name: 'commonName', value: '127.0.0.1' }], {
    ...validity(validDays),
    ca: { key: ca.keyPem, cert: ca.certPem },
    extensions: [
      { name: 'basicConstraints', cA: false },
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
      { name: 'extKeyUsage', serverAuth: true },
      { name: 'subjectAltName', altNames: [{ type: 7, ip: '127.0.0.1' }] },
    ],
  });
  return { certPem: serving.cert, keyPem: serving.private };
}

/** A client certificate (extended key usage clientAuth) for `commonName`, signed by the CA. */
export async function loopbackClient(
  ca: LoopbackCa,
  commonName: string,
  validDays: number,
): Promise<KeyPair> {
  const client = await generate([{ name: 'commonName', value: commonName }], {
    ...validity(validDays),
    ca: { key: ca.keyPem, cert: ca.certPem },
    extensions: [
      { name: 'basicConstraints', cA: false },
      { name: 'keyUsage', digitalSignature: true, critical: true },
      { name: 'extKeyUsage', clientAuth: true },
    ],
  });
  return { certPem: client.cert, keyPem: client.private };
}

export async function loopbackCertificates(caName: string, validDays: number): Promise<LoopbackCertificates> {
  const ca = await loopbackCa(caName, validDays);
  const serving = await loopbackServing(ca, validDays);
  return { certPem: serving.certPem, keyPem: serving.keyPem, caPem: ca.certPem };
}
