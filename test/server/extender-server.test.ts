// The extender's listener: mutual TLS (a client certificate from the configured CA or no handshake),
// certificate files reloaded on change, plain HTTP only when asked for; the admin app apart.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { createRegistry } from '../../src/metrics/registry.js';
import { createAdminApp, createExtenderApp } from '../../src/server/app.js';
import {
  createExtenderServer,
  extenderTransport,
  type ExtenderServer,
} from '../../src/server/extender-server.js';
import { callExtender } from '../../testbed/extender-certs.js';
import {
  loopbackCa,
  loopbackClient,
  loopbackServing,
  type KeyPair,
  type LoopbackCa,
} from '../../testbed/loopback-certs.js';

const verbs = express.Router();
verbs.post('/filter', (_req, res) => {
  res.json({ NodeNames: ['n0'] });
});
const app = createExtenderApp({ extender: verbs });

let ca: LoopbackCa;
let serving: KeyPair;
let scheduler: KeyPair;
let other: LoopbackCa;
let stranger: KeyPair;
beforeAll(async () => {
  ca = await loopbackCa('test-extender-ca', 1);
  serving = await loopbackServing(ca, 1);
  scheduler = await loopbackClient(ca, 'phalanx-scheduler', 1);
  other = await loopbackCa('other-ca', 1);
  stranger = await loopbackClient(other, 'phalanx-scheduler', 1);
});

const running: ExtenderServer[] = [];
afterEach(async () => {
  for (const s of running.splice(0)) {
    s.stopWatching();
    s.server.closeAllConnections();
    await new Promise((resolve) => s.server.close(resolve));
  }
});

function tlsFiles(): { certFile: string; keyFile: string; clientCaFile: string } {
  const dir = mkdtempSync(join(tmpdir(), 'phalanx-extender-tls-'));
  const files = {
    certFile: join(dir, 'tls.crt'),
    keyFile: join(dir, 'tls.key'),
    clientCaFile: join(dir, 'ca.crt'),
  };
  writeFileSync(files.certFile, serving.certPem);
  writeFileSync(files.keyFile, serving.keyPem);
  writeFileSync(files.clientCaFile, ca.certPem);
  return files;
}

async function start(
  transport: Parameters<typeof createExtenderServer>[1],
  onReload?: (err?: unknown) => void,
): Promise<string> {
  const s = await createExtenderServer(app, transport, onReload ? { onCertificateReload: onReload } : {});
  running.push(s);
  await new Promise<void>((resolve) => s.server.listen(0, '127.0.0.1', resolve));
  const { port } = s.server.address() as AddressInfo;
  return `${s.https ? 'https' : 'http'}://127.0.0.1:${port}`;
}

const outcome = (url: string, call: Parameters<typeof callExtender>[1]): Promise<number | string> =>
  callExtender(url, { body: '{}', ...call }).then(
    (r) => r.status,
    (err: NodeJS.ErrnoException) => `refused ${err.code ?? err.message}`,
  );

describe('extenderTransport', () => {
  it('refuses a configuration naming neither TLS nor plain HTTP, naming both settings', () => {
    expect(() => extenderTransport({ plainHttp: false })).toThrow(/extender\.tls.*extender\.plainHttp/s);
    expect(extenderTransport({ plainHttp: true })).toEqual({ kind: 'plain' });
    const tls = { certFile: 'a', keyFile: 'b', clientCaFile: 'c' };
    expect(extenderTransport({ tls, plainHttp: false })).toEqual({ kind: 'mtls', files: tls });
  });

  it('is configured from the file, PHALANX_* variables, and refuses plainHttp together with tls', () => {
    const config = loadConfig({
      env: {
        PHALANX_EXTENDER_TLS_CERT_FILE: '/t/tls.crt',
        PHALANX_EXTENDER_TLS_KEY_FILE: '/t/tls.key',
        PHALANX_EXTENDER_TLS_CLIENT_CA_FILE: '/t/ca.crt',
        PHALANX_ADMIN_PORT: '9191',
      },
    });
    expect(config.extender.tls).toEqual({
      certFile: '/t/tls.crt',
      keyFile: '/t/tls.key',
      clientCaFile: '/t/ca.crt',
    });
    expect(config.extender.plainHttp).toBe(false);
    expect(config.admin).toEqual({ host: '0.0.0.0', port: 9191 });
    expect(loadConfig({}).admin.port).toBe(9090);
    expect(() =>
      loadConfig({ overrides: { 'extender.plainHttp': true, 'extender.tls': config.extender.tls } }),
    ).toThrow(/extender\.plainHttp/);
    expect(() => loadConfig({ overrides: { 'extender.tls': { certFile: 'a', keyFile: 'b' } } })).toThrow(
      /extender\.tls\.clientCaFile/,
    );
  });
});

describe('the extender over mutual TLS', () => {
  it('answers a caller with a certificate from the client CA, and refuses every other caller', async () => {
    const url = await start({ kind: 'mtls', files: tlsFiles() });
    expect(
      await outcome(`${url}/filter`, { ca: ca.certPem, cert: scheduler.certPem, key: scheduler.keyPem }),
    ).toBe(200);
    expect(await outcome(`${url}/filter`, { ca: ca.certPem })).toMatch(/^refused/);
    expect(
      await outcome(`${url}/filter`, { ca: ca.certPem, cert: stranger.certPem, key: stranger.keyPem }),
    ).toMatch(/^refused/);
    const plain = await fetch(`${url.replace('https', 'http')}/filter`, { method: 'POST', body: '{}' }).then(
      (r) => r.status,
      () => 'refused',
    );
    expect(plain === 'refused' || (typeof plain === 'number' && plain >= 400 && plain < 500)).toBe(true);
  });

  it('serves the verbs only', async () => {
    const url = await start({ kind: 'mtls', files: tlsFiles() });
    const client = { ca: ca.certPem, cert: scheduler.certPem, key: scheduler.keyPem };
    for (const path of ['/debug/ledger', '/metrics', '/healthz', '/readyz']) {
      expect(await outcome(`${url}${path}`, { ...client, method: 'GET' }), path).toBe(404);
    }
  });

  it('takes a new client CA and serving pair from the files without a restart', async () => {
    const files = tlsFiles();
    const reloads: unknown[] = [];
    const url = await start({ kind: 'mtls', files, reloadIntervalMs: 20 }, (err) => reloads.push(err));
    const next = await loopbackCa('next-ca', 1);
    const nextServing = await loopbackServing(next, 1);
    const nextClient = await loopbackClient(next, 'phalanx-scheduler', 1);
    writeFileSync(files.clientCaFile, next.certPem);
    writeFileSync(files.certFile, nextServing.certPem);
    writeFileSync(files.keyFile, nextServing.keyPem);
    const deadline = Date.now() + 5_000;
    let status: number | string = 0;
    while (Date.now() < deadline) {
      status = await outcome(`${url}/filter`, {
        ca: next.certPem,
        cert: nextClient.certPem,
        key: nextClient.keyPem,
      });
      if (status === 200) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(status).toBe(200);
    expect(reloads.some((e) => e === undefined)).toBe(true);
    // The old CA's client no longer gets in.
    expect(
      await outcome(`${url}/filter`, { ca: next.certPem, cert: scheduler.certPem, key: scheduler.keyPem }),
    ).toMatch(/^refused/);
  });

  it('refuses at start when the files do not fit together', async () => {
    const files = tlsFiles();
    writeFileSync(files.keyFile, (await loopbackServing(other, 1)).keyPem);
    await expect(createExtenderServer(app, { kind: 'mtls', files })).rejects.toThrow();
    const noCa = tlsFiles();
    writeFileSync(noCa.clientCaFile, 'not a certificate');
    await expect(createExtenderServer(app, { kind: 'mtls', files: noCa })).rejects.toThrow(/CA bundle/);
  });

  it('serves plain HTTP only when the transport says so', async () => {
    const url = await start({ kind: 'plain' });
    expect(url).toMatch(/^http:/);
    const res = await fetch(`${url}/filter`, { method: 'POST', body: '{}' });
    expect(res.status).toBe(200);
  });
});

describe('the admin app', () => {
  it('serves health, readiness with its reasons, metrics and the ledger view, and no verbs', async () => {
    let reasons = ['cluster view not synced yet'];
    const admin = createAdminApp({
      registry: createRegistry(false),
      notReadyReasons: () => reasons,
      debugLedger: () => ({ totals: { usedMilli: 0 } }),
    });
    const server = admin.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      expect((await fetch(`${base}/healthz`)).status).toBe(200);
      const notReady = await fetch(`${base}/readyz`);
      expect(notReady.status).toBe(503);
      expect(await notReady.json()).toEqual({ ready: false, reasons });
      reasons = [];
      expect((await fetch(`${base}/readyz`)).status).toBe(200);
      expect((await fetch(`${base}/metrics`)).status).toBe(200);
      expect(await (await fetch(`${base}/debug/ledger`)).json()).toEqual({ totals: { usedMilli: 0 } });
      expect((await fetch(`${base}/filter`, { method: 'POST', body: '{}' })).status).toBe(404);
    } finally {
      server.close();
    }
  });
});
