// TLS files that are reloaded when they change, for any HTTPS server: a serving key/certificate pair
// and optionally a CA bundle that client certificates must chain to. The files are polled
// (fs.watchFile follows the symlinks a Secret volume swaps atomically, where fs.watch on the file
// would miss the swap) and the server's secure context is replaced as a whole, so a renewed
// certificate or CA needs no restart and connections already open keep theirs.
// The pair is read and checked by the webhook's readCertificateFiles (webhook/tls.ts).
import { unwatchFile, watchFile, type Stats } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createSecureContext } from 'node:tls';
import { readCertificateFiles, type CertificateFiles, type KeyAndCertificate } from '../webhook/tls.js';

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
