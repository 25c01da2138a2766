// The extender's listener: HTTPS that requires a client certificate signed by the configured client
// CA (kube-scheduler's extender `tlsConfig.certFile` / `keyFile`), with the three files reloaded on
// change; or plain HTTP when the configuration asks for it explicitly (local development).
// A caller without a certificate, or with one from another CA, fails the TLS handshake: it never
// reaches a verb.
import { createServer as createHttpServer, type RequestListener, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { readTlsFiles, watchTlsFiles } from '../webhook/tls.js';

export interface ExtenderTlsFiles {
  readonly certFile: string;
  readonly keyFile: string;
  readonly clientCaFile: string;
}

export type ExtenderTransport =
  | { readonly kind: 'mtls'; readonly files: ExtenderTlsFiles; readonly reloadIntervalMs?: number }
  | { readonly kind: 'plain' };

/** Thrown when neither TLS nor plain HTTP is configured. */
export class ExtenderTransportError extends Error {
  override readonly name = 'ExtenderTransportError';
}

/** The transport the configuration asks for; refuses a configuration that names none. */
export function extenderTransport(config: {
  readonly tls?: ExtenderTlsFiles | undefined;
  readonly plainHttp: boolean;
}): ExtenderTransport {
  if (config.tls && config.plainHttp) {
    throw new ExtenderTransportError('extender.plainHttp and extender.tls exclude each other');
  }
  if (config.tls) return { kind: 'mtls', files: config.tls };
  if (config.plainHttp) return { kind: 'plain' };
  throw new ExtenderTransportError(
    'extender: set extender.tls (certFile, keyFile, clientCaFile) so only the scheduler can call the ' +
      'verbs, or extender.plainHttp: true for local development without authentication',
  );
}

export interface ExtenderServer {
  readonly server: Server;
  readonly https: boolean;
  /** Stops watching the certificate files. */
  stopWatching(): void;
}

export interface ExtenderServerOptions {
  /** Reload outcomes of the certificate files (mTLS only). */
  readonly onCertificateReload?: (error?: unknown) => void;
  /** A connection refused in the TLS handshake (no client certificate, an untrusted one, not TLS). */
  readonly onHandshakeRefused?: (error: Error, remoteAddress: string | undefined) => void;
}

export async function createExtenderServer(
  app: RequestListener,
  transport: ExtenderTransport,
  opts: ExtenderServerOptions = {},
): Promise<ExtenderServer> {
  if (transport.kind === 'plain') {
    return { server: createHttpServer(app), https: false, stopWatching: () => undefined };
  }
  const files = { ...transport.files, caFile: transport.files.clientCaFile };
  const material = await readTlsFiles(files);
  const server = createHttpsServer(
    {
      ...material,
      // Only callers whose certificate chains to the client CA complete the handshake.
      requestCert: true,
      rejectUnauthorized: true,
      minVersion: 'TLSv1.2',
    },
    app,
  );
  server.on('tlsClientError', (error, socket) => opts.onHandshakeRefused?.(error, socket.remoteAddress));
  const stopWatching = watchTlsFiles(server, files, {
    ...(transport.reloadIntervalMs !== undefined ? { intervalMs: transport.reloadIntervalMs } : {}),
    onReload: () => opts.onCertificateReload?.(),
    onError: (error) => opts.onCertificateReload?.(error),
  });
  return { server, https: true, stopWatching };
}
