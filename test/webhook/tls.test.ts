import { X509Certificate } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from 'node:tls';
import express from 'express';
import { afterAll, describe, expect, it } from 'vitest';
import { generateSelfSignedCertificates, type SelfSignedCertificates } from '../../src/webhook/tls.js';
import { startWebhookServer } from '../../src/webhook/webhook-server.js';

describe('generateSelfSignedCertificates', () => {
  it('makes a CA and a serving certificate it signs, valid for the hosts from `now`', async () => {
    const now = new Date('2026-01-01T00:00:00Z');
    const pems = await generateSelfSignedCertificates({
      hosts: ['phalanx-webhook.phalanx-system.svc', '127.0.0.1'],
      validityDays: 30,
      now: () => now,
    });
    const ca = new X509Certificate(pems.caCert);
    const serving = new X509Certificate(pems.cert);
    expect(ca.ca).toBe(true);
    expect(serving.ca).toBe(false);
    expect(serving.checkIssued(ca)).toBe(true);
    expect(serving.verify(ca.publicKey)).toBe(true);
    expect(serving.subjectAltName).toBe('DNS:phalanx-webhook.phalanx-system.svc, IP Address:127.0.0.1');
    expect(
      serving.checkPrivateKey(await import('node:crypto').then((c) => c.createPrivateKey(pems.key))),
    ).toBe(true);
    expect(new Date(serving.validFrom).getTime()).toBe(now.getTime());
    expect(new Date(serving.validTo).getTime()).toBe(now.getTime() + 30 * 86_400_000);
  });

  it('refuses an empty host list', async () => {
    await expect(generateSelfSignedCertificates({ hosts: [] })).rejects.toThrow('at least one host');
  });
});

describe('certificate files', () => {
  const dir = mkdtempSync(join(tmpdir(), 'phalanx-tls-'));
  const files = { certFile: join(dir, 'tls.crt'), keyFile: join(dir, 'tls.key') };
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  function write(pems: SelfSignedCertificates): void {
    writeFileSync(files.keyFile, pems.key);
    writeFileSync(files.certFile, pems.cert);
  }

  function servedFingerprint(port: number, ca: string): Promise<string> {
    return new Promise((resolve, reject) => {
      const socket = connect({ host: '127.0.0.1', port, ca }, () => {
        const fingerprint = socket.getPeerX509Certificate()?.fingerprint256 ?? '';
        socket.end();
        resolve(fingerprint);
      });
      socket.on('error', reject);
    });
  }

  it('serves the files and swaps to renewed ones without a restart', async () => {
    const first = await generateSelfSignedCertificates({ hosts: ['127.0.0.1'] });
    const second = await generateSelfSignedCertificates({ hosts: ['127.0.0.1'] });
    write(first);
    const reloads: unknown[] = [];
    const webhook = await startWebhookServer({
      router: express.Router(),
      host: '127.0.0.1',
      port: 0,
      tls: { kind: 'files', ...files, reloadIntervalMs: 20 },
      onCertificateReload: (error) => reloads.push(error ?? 'ok'),
    });
    try {
      expect(await servedFingerprint(webhook.port, first.caCert)).toBe(
        new X509Certificate(first.cert).fingerprint256,
      );
      write(second);
      const deadline = Date.now() + 5_000;
      const want = new X509Certificate(second.cert).fingerprint256;
      let served = '';
      while (Date.now() < deadline) {
        served = await servedFingerprint(webhook.port, second.caCert).catch(() => '');
        if (served === want) break;
        await new Promise((r) => setTimeout(r, 25));
      }
      expect(served).toBe(want);
      expect(reloads).toContain('ok');

      // A broken certificate is reported and the working one stays.
      writeFileSync(files.certFile, 'not a certificate');
      const errorDeadline = Date.now() + 5_000;
      while (!reloads.some((r) => r instanceof Error) && Date.now() < errorDeadline) {
        await new Promise((r) => setTimeout(r, 25));
      }
      expect(reloads.some((r) => r instanceof Error)).toBe(true);
      expect(await servedFingerprint(webhook.port, second.caCert)).toBe(want);
    } finally {
      await webhook.close();
    }
  });
});
