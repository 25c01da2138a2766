// The webhook's TLS, two ways (the apiserver speaks only HTTPS to webhooks and verifies the serving
// certificate against the configuration's caBundle; SANs must name the Service DNS or the URL's IP):
//
// 1. Certificate files, e.g. a cert-manager Certificate mounted from a Secret (cert-manager's CA
//    injector fills caBundle). The files are polled and the server's secure context is swapped when
//    they change, so renewals need no restart. Polling (fs.watchFile) follows the symlinks a Secret
//    volume swaps atomically, where fs.watch on the file would miss the swap.
// 2. Self-managed: at start, generate a CA and a serving certificate signed by it (the `selfsigned`
//    package; no hand-written ASN.1), serve with them, and patch the MutatingWebhookConfiguration's
//    caBundle with the CA (src/kube/webhook-ca-patcher.ts sends it). Keys live only in memory; every
//    restart makes a new CA and re-patches, so nothing secret is ever written anywhere.
// The file reloading serves any HTTPS server (the extender's mutual TLS adds a client CA bundle).
import { watchFile, unwatchFile, type Stats } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import { createSecureContext } from 'node:tls';
import { generate } from 'selfsigned';

export interface CertificateFiles {
  readonly certFile: string;
  readonly keyFile: string;
}

export interface KeyAndCertificate {
  /** PEM certificate chain. */
  readonly cert: string;
  /** PEM private key. */
  readonly key: string;
}

export interface SelfSignedCertificates extends KeyAndCertificate {
  /** PEM of the CA that signed `cert`: the caBundle to publish. */
  readonly caCert: string;
}

/** Reads and checks a key/certificate pair; throws when they are unreadable or do not belong together. */
export async function readCertificateFiles(files: CertificateFiles): Promise<KeyAndCertificate> {
  const [cert, key] = await Promise.all([readFile(files.certFile, 'utf8'), readFile(files.keyFile, 'utf8')]);
  createSecureContext({ cert, key });
  return { cert, key };
}

export interface TlsFiles extends CertificateFiles {
  /** PEM bundle of the CA(s) client certificates must chain to. */
  readonly caFile?: string;
}

export interface TlsMaterial extends KeyAndCertificate {
  readonly ca?: string;
}

/** Reads the files and checks they make a secure context; throws when one is unreadable or they do not fit. */
export async function readTlsFiles(files: TlsFiles): Promise<TlsMaterial> {
  const [pair, ca] = await Promise.all([
    readCertificateFiles(files),
    files.caFile === undefined ? undefined : readFile(files.caFile, 'utf8'),
  ]);
  if (ca === undefined) return pair;
  if (!ca.includes('-----BEGIN CERTIFICATE-----')) {
    throw new Error(`${files.caFile}: no PEM certificate in the CA bundle`);
  }
  createSecureContext({ ...pair, ca });
  return { ...pair, ca };
}

/** What watchTlsFiles needs from an HTTPS server. */
export interface TlsContextTarget {
  setSecureContext(options: TlsMaterial): void;
}

export interface TlsWatchOptions {
  /** Poll period; cert-manager renews days ahead, so seconds are plenty. */
  readonly intervalMs?: number;
  readonly onReload?: () => void;
  /** A half-written set (key updated, certificate not yet) lands here; the old context stays. */
  readonly onError?: (error: unknown) => void;
}

/** Replaces the server's secure context whenever any of the files changes. Returns a function that stops watching. */
export function watchTlsFiles(
  target: TlsContextTarget,
  files: TlsFiles,
  opts: TlsWatchOptions = {},
): () => void {
  const reload = (current: Stats, previous: Stats): void => {
    if (
      current.mtimeMs === previous.mtimeMs &&
      current.ino === previous.ino &&
      current.size === previous.size
    ) {
      return;
    }
    readTlsFiles(files).then(
      (material) => {
        target.setSecureContext(material);
        opts.onReload?.();
      },
      (error: unknown) => opts.onError?.(error),
    );
  };
  const paths = [files.certFile, files.keyFile, ...(files.caFile === undefined ? [] : [files.caFile])];
  const options = { interval: opts.intervalMs ?? 5_000, persistent: false };
  for (const path of paths) watchFile(path, options, reload);
  return () => {
    for (const path of paths) unwatchFile(path, reload);
  };
}

export interface SelfSignedOptions {
  /** DNS names and IP addresses the serving certificate is valid for (e.g. phalanx-webhook.phalanx-system.svc). */
  readonly hosts: readonly string[];
  readonly validityDays?: number;
  /** Injected for tests; defaults to the current time. */
  readonly now?: () => Date;
}

const DAY_MS = 86_400_000;

/** Generates an EC P-256 CA and a serving certificate it signs, for the given hosts. */
export async function generateSelfSignedCertificates(
  opts: SelfSignedOptions,
): Promise<SelfSignedCertificates> {
  const first = opts.hosts[0];
  if (first === undefined) throw new Error('self-signed certificate: at least one host name or IP is needed');
  const notBeforeDate = opts.now?.() ?? new Date();
  const notAfterDate = new Date(notBeforeDate.getTime() + (opts.validityDays ?? 365) * DAY_MS);
  const common = { keyType: 'ec', algorithm: 'sha256', notBeforeDate, notAfterDate } as const;
  const ca = await generate([{ name: 'commonName', value: 'phalanx-webhook-ca' }], {
    ...common,
    extensions: [
      { name: 'basicConstraints', cA: true, critical: true },
      { name: 'keyUsage', keyCertSign: true, cRLSign: true, digitalSignature: true, critical: true },
    ],
  });
  const altNames = opts.hosts.map((host) =>
    isIP(host) !== 0 ? { type: 7 as const, ip: host } : { type: 2 as const, value: host },
  );
  const serving = await generate([{ name: 'commonName', value: first }], {
    ...common,
    ca: { key: ca.private, cert: ca.cert },
    extensions: [
      { name: 'basicConstraints', cA: false },
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
      { name: 'extKeyUsage', serverAuth: true },
      { name: 'subjectAltName', altNames },
    ],
  });
  return { caCert: ca.cert, cert: serving.cert, key: serving.private };
}
