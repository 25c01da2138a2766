import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config/load.js';

function tempFile(text: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'phalanx-config-'));
  const path = join(dir, 'config.yaml');
  writeFileSync(path, text);
  return path;
}

describe('loadConfig', () => {
  it('gives the documented defaults with no sources', () => {
    const config = loadConfig({});
    expect(config.extender.port).toBe(8888);
    expect(config.webhook.port).toBe(8443);
    expect(config.schedulerName).toBe('phalanx-scheduler');
    expect(config.topology.levels).toEqual([
      'nvidia.com/gpu.clique',
      'network.topology.nvidia.com/leaf',
      'topology.kubernetes.io/zone',
    ]);
    expect(config.leaderElection.enabled).toBe(false);
    expect(config.gangCommit).toBe('barrier');
    expect(config.timeouts.halfBoundGraceMs).toBe(120_000);
  });

  it('takes the gang commit from PHALANX_GANG_COMMIT and names it when wrong', () => {
    expect(loadConfig({ env: { PHALANX_GANG_COMMIT: 'eager' } }).gangCommit).toBe('eager');
    expect(() => loadConfig({ env: { PHALANX_GANG_COMMIT: 'sometimes' } })).toThrow(/gangCommit/);
  });

  it('layers file < env < flags', () => {
    const file = tempFile('extender:\n  port: 7000\npolicy: spread\nlogLevel: debug\n');
    const config = loadConfig({
      file,
      env: { PHALANX_EXTENDER_PORT: '7100', PHALANX_POLICY: 'binpack' },
      overrides: { 'extender.port': 7200 },
    });
    expect(config.extender.port).toBe(7200);
    expect(config.policy).toBe('binpack');
    expect(config.logLevel).toBe('debug');
  });

  it('names the offending setting', () => {
    expect(() => loadConfig({ overrides: { 'extender.port': 70000 } })).toThrow(/extender\.port/);
    expect(() => loadConfig({ overrides: { 'timeouts.halfBoundGraceMs': 1_000 } })).toThrow(
      /timeouts\.halfBoundGraceMs/,
    );
    expect(() => loadConfig({ env: { PHALANX_LOG_LEVEL: 'loud' } })).toThrow(/logLevel/);
    const file = tempFile('topology:\n  levels: []\n');
    expect(() => loadConfig({ file })).toThrow(/topology\.levels/);
  });

  it('rejects unknown keys so typos do not pass silently', () => {
    const file = tempFile('extendr:\n  port: 1\n');
    expect(() => loadConfig({ file })).toThrow(ConfigError);
    expect(() => loadConfig({ file })).toThrow(/extendr/);
  });

  it('reports unreadable and non-mapping files', () => {
    expect(() => loadConfig({ file: '/nonexistent/phalanx.yaml' })).toThrow(/cannot be read/);
    expect(() => loadConfig({ file: tempFile('- a\n- b\n') })).toThrow(/must be a mapping/);
  });
});
