// Mutual TLS between the local cluster's kube-scheduler and Phalanx, as deploy/ ships it: one
// throw-away CA signs the extender's serving certificate (IP SAN 127.0.0.1) and the scheduler's
// client certificate. Written once per cluster state directory and reused while valid (the running
// scheduler keeps the CA it read at start), so a reused cluster and a restarted Phalanx agree.
// Also a small HTTPS client for talking to the extender with (or without) a client certificate.
import { X509Certificate } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { request } from 'node:https';
import { join } from 'node:path';
import { loopbackCa, loopbackClient, loopbackServing } from './loopback-certs.js';

export interface ExtenderCertificateFiles {
  /** The CA of both certificates: Phalanx's extender.tls.clientCaFile and the scheduler's tlsConfig.caFile. */
  readonly caFile: string;
  /** Phalanx's extender.tls.certFile / keyFile. */
  readonly serverCertFile: string;
  readonly serverKeyFile: string;
  /** The scheduler's tlsConfig.certFile / keyFile. */
  readonly clientCertFile: string;
  readonly clientKeyFile: string;
}

const VALID_DAYS = 30;
/** Regenerated when less than this is left, so nothing expires under a running cluster. */
const MIN_LEFT_MS = 2 * 86_400_000;
/** The client certificate's subject, as deploy/'s cert-manager overlay names the scheduler's. */
export const SCHEDULER_CLIENT_NAME = 'phalanx-scheduler';

export function extenderCertificatePaths(stateDir: string): ExtenderCertificateFiles {
  const dir = join(stateDir, 'extender-tls');
  return {
    caFile: join(dir, 'ca.crt'),
    serverCertFile: join(dir, 'server.crt'),
    serverKeyFile: join(dir, 'server.key'),
    clientCertFile: join(dir, 'client.crt'),
    clientKeyFile: join(dir, 'client.key'),
  };
}

async function stillValid(files: ExtenderCertificateFiles): Promise<boolean> {
  try {
    const ca = new X509Certificate(await readFile(files.caFile, 'utf8'));
    for (const path of [files.serverCertFile, files.clientCertFile]) {
      const cert = new X509Certificate(await readFile(path, 'utf8'));
      if (!cert.checkIssued(ca) || !cert.verify(ca.publicKey)) return false;
      if (Date.parse(cert.validTo) - Date.now() < MIN_LEFT_MS) return false;
    }
    await Promise.all([readFile(files.serverKeyFile), readFile(files.clientKeyFile)]);
    return Date.parse(ca.validTo) - Date.now() >= MIN_LEFT_MS;
  } catch {
    return false;
  }
}

/** The files under `<stateDir>/extender-tls/`, generated when missing or close to expiry. */
export async function ensureExtenderCertificates(stateDir: string): Promise<ExtenderCertificateFiles> {
  const files = extenderCertificatePaths(stateDir);
  if (await stillValid(files)) return files;
  await mkdir(join(stateDir, 'extender-tls'), { recursive: true });
  const ca = await loopbackCa('phalanx-extender-local-ca', VALID_DAYS);
  const server = await loopbackServing(ca, VALID_DAYS);
  const client = await loopbackClient(ca, SCHEDULER_CLIENT_NAME, VALID_DAYS);
  await writeFile(files.caFile, ca.certPem);
  await writeFile(files.serverCertFile, server.certPem);
  await writeFile(files.serverKeyFile, server.keyPem, { mode: 0o600 });
  await writeFile(files.clientCertFile, client.certPem);
  await writeFile(files.clientKeyFile, client.keyPem, { mode: 0o600 });
  return files;
}

export interface ExtenderCall {
  readonly method?: 'GET' | 'POST';
  readonly body?: string;
  /** PEM CA that verifies the extender's serving certificate. */
  readonly ca: string;
  /** The client certificate and key to present; absent: none. */
  readonly cert?: string;
  readonly key?: string;
  readonly timeoutMs?: number;
}

export interface ExtenderReply {
  readonly status: number;
  readonly body: string;
}

/** One HTTPS request to the extender (a fresh connection each time). Rejects on a refused handshake. */
export function callExtender(url: string, call: ExtenderCall): Promise<ExtenderReply> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method: call.method ?? 'POST',
        headers: { 'Content-Type': 'application/json' },
        ca: call.ca,
        ...(call.cert === undefined ? {} : { cert: call.cert }),
        ...(call.key === undefined ? {} : { key: call.key }),
        agent: false,
        timeout: call.timeoutMs ?? 10_000,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }),
        );
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`${url}: timed out`)));
    req.on('error', reject);
    req.end(call.body);
  });
}

/** The client side of the local mutual TLS, as PEM text, for callExtender. */
export async function schedulerClientTls(
  files: ExtenderCertificateFiles,
): Promise<{ ca: string; cert: string; key: string }> {
  const [ca, cert, key] = await Promise.all([
    readFile(files.caFile, 'utf8'),
    readFile(files.clientCertFile, 'utf8'),
    readFile(files.clientKeyFile, 'utf8'),
  ]);
  return { ca, cert, key };
}
