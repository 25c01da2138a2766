import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { localExtender, localSchedulerConfig } from '../../testbed/scheduler-config.js';

const shipped = readFileSync(
  new URL('../../deploy/scheduler/kube-scheduler-config.yaml', import.meta.url),
  'utf8',
);

const config = parse(shipped) as Record<string, unknown>;

describe('shipped KubeSchedulerConfiguration', () => {
  it('declares the Phalanx profile, lease and extender contract', () => {
    expect(config['apiVersion']).toBe('kubescheduler.config.k8s.io/v1');
    expect(config['percentageOfNodesToScore']).toBe(100);
    expect(config['leaderElection']).toMatchObject({ leaderElect: true, resourceName: 'phalanx-scheduler' });
    expect(config['profiles']).toEqual([{ schedulerName: 'phalanx-scheduler' }]);
    expect(config['extenders']).toEqual([
      {
        urlPrefix: 'https://phalanx.phalanx-system.svc:8888',
        enableHTTPS: true,
        tlsConfig: {
          certFile: '/var/run/phalanx-scheduler/extender-tls/tls.crt',
          keyFile: '/var/run/phalanx-scheduler/extender-tls/tls.key',
          caFile: '/var/run/phalanx-scheduler/extender-tls/ca.crt',
        },
        filterVerb: 'filter',
        prioritizeVerb: 'prioritize',
        bindVerb: 'bind',
        preemptVerb: 'preempt',
        weight: 5,
        nodeCacheCapable: true,
        httpTimeout: '30s',
        ignorable: false,
        managedResources: [
          { name: 'nvidia.com/gpu', ignoredByScheduler: false },
          { name: 'phalanx.dev/gpu-milli', ignoredByScheduler: true },
        ],
      },
    ]);
  });
});

const TLS = { certFile: '/s/client.crt', keyFile: '/s/client.key', caFile: '/s/ca.crt' };

describe('localSchedulerConfig', () => {
  const local = parse(localSchedulerConfig(shipped, 'https://127.0.0.1:9999', TLS)) as Record<
    string,
    unknown
  >;

  it('points the extender at loopback over mutual TLS with the local files, and changes nothing else', () => {
    const [extender] = local['extenders'] as Record<string, unknown>[];
    const [original] = config['extenders'] as Record<string, unknown>[];
    expect(extender).toEqual({
      ...original,
      urlPrefix: 'https://127.0.0.1:9999',
      enableHTTPS: true,
      // No serverName: the scheduler verifies the URL's 127.0.0.1 against the IP SAN.
      tlsConfig: TLS,
    });
  });

  it('writes plain HTTP without any TLS fields, and refuses a scheme that does not fit the files', () => {
    const [original] = config['extenders'] as Record<string, unknown>[];
    const plain = localExtender(original!, 'http://127.0.0.1:1');
    expect(plain['urlPrefix']).toBe('http://127.0.0.1:1');
    expect(plain).not.toHaveProperty('tlsConfig');
    expect(plain).not.toHaveProperty('enableHTTPS');
    expect(() => localExtender(original!, 'https://127.0.0.1:1')).toThrow(/client TLS files/);
    expect(() => localExtender(original!, 'http://127.0.0.1:1', TLS)).toThrow(/https/);
  });

  it('adds a default-scheduler profile before the Phalanx one', () => {
    expect(local['profiles']).toEqual([
      { schedulerName: 'default-scheduler' },
      { schedulerName: 'phalanx-scheduler' },
    ]);
  });

  it('keeps the lease, scoring and rate settings; drops only the kubeconfig kwokctl fills', () => {
    const withKubeconfig = shipped.replace(
      'clientConnection:\n',
      'clientConnection:\n  kubeconfig: /etc/k.conf\n',
    );
    const out = parse(localSchedulerConfig(withKubeconfig, 'https://127.0.0.1:1', TLS)) as Record<
      string,
      unknown
    >;
    expect(out['clientConnection']).toEqual({ qps: 200, burst: 400 });
    expect(out['leaderElection']).toEqual(config['leaderElection']);
    expect(out['percentageOfNodesToScore']).toBe(100);
  });

  it('copies the Phalanx profile plugins into the default profile (one queueSort for all)', () => {
    const custom = shipped.replace(
      '  - schedulerName: phalanx-scheduler\n',
      '  - schedulerName: phalanx-scheduler\n    plugins:\n      score:\n        disabled: [{name: ImageLocality}]\n',
    );
    const out = parse(localSchedulerConfig(custom, 'https://127.0.0.1:1', TLS)) as Record<string, unknown>;
    const profiles = out['profiles'] as Record<string, unknown>[];
    expect(profiles.map((p) => p['schedulerName'])).toEqual(['default-scheduler', 'phalanx-scheduler']);
    expect(profiles[0]?.['plugins']).toEqual({ score: { disabled: [{ name: 'ImageLocality' }] } });
  });

  it('rejects a file that is not a KubeSchedulerConfiguration with an extender', () => {
    expect(() => localSchedulerConfig('kind: Pod\n', 'http://x')).toThrow(/KubeSchedulerConfiguration/);
    const noExtender =
      'apiVersion: kubescheduler.config.k8s.io/v1\nkind: KubeSchedulerConfiguration\nprofiles: [{schedulerName: a}]\nextenders: []\n';
    expect(() => localSchedulerConfig(noExtender, 'http://x')).toThrow(/no extender/);
  });
});
