// Derives the local cluster's KubeSchedulerConfiguration from the one deploy/ ships, so the
// tests exercise the very file users deploy. Only three things change:
//  1. every extender's urlPrefix points at the Phalanx process on loopback, and its tlsConfig at the
//     client certificate files the test bed generated (extender-certs.ts) instead of the Secret
//     mounted in the cluster; the server is verified against the test bed's CA by its IP SAN;
//  2. a `default-scheduler` profile is added. In a real cluster deploy/'s scheduler runs beside
//     the cluster's own default scheduler; here kwokctl's kube-scheduler is the ONLY scheduler,
//     so without that profile ordinary pods (system pods, plain Deployments in tests) would stay
//     Pending forever. A second profile in the same process is cheaper and closer to the shipped
//     behaviour than a second kube-scheduler. It copies the Phalanx profile's plugins, because
//     validation requires one queueSort across profiles. The extender applies to every profile
//     of the process, but only pods requesting a managedResource reach it (protocol.md §2.6), so
//     ordinary pods never pay its round trip;
//  3. clientConnection.kubeconfig is dropped: kwokctl fills it with its own.
import { parse, stringify } from 'yaml';

export const DEPLOY_SCHEDULER_CONFIG = 'deploy/scheduler/kube-scheduler-config.yaml';

/** The scheduler's side of the extender's mutual TLS (kubescheduler.config.k8s.io/v1 Extender.TLSConfig). */
export interface ExtenderClientTls {
  readonly certFile: string;
  readonly keyFile: string;
  readonly caFile: string;
}
const DEFAULT_PROFILE = 'default-scheduler';

type Obj = Record<string, unknown>;

function isObj(value: unknown): value is Obj {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function list(value: unknown, field: string): Obj[] {
  if (!Array.isArray(value) || !value.every(isObj))
    throw new Error(`scheduler config: ${field} must be a list of objects`);
  return value;
}

/**
 * One shipped extender entry pointed at `extenderUrl`: with `tls`, HTTPS presenting that client
 * certificate and trusting that CA (no serverName: the URL's host is verified); without, plain HTTP
 * (no tlsConfig, no enableHTTPS). Every other field is kept.
 */
export function localExtender(extender: Obj, extenderUrl: string, tls?: ExtenderClientTls): Obj {
  const { tlsConfig: _inCluster, enableHTTPS: _https, ...rest } = extender;
  const https = extenderUrl.startsWith('https://');
  if (https !== (tls !== undefined)) {
    throw new Error(
      `scheduler config: ${extenderUrl} needs ${https ? 'client TLS files' : 'an https:// URL'}`,
    );
  }
  if (!tls) return { ...rest, urlPrefix: extenderUrl };
  return {
    ...rest,
    urlPrefix: extenderUrl,
    enableHTTPS: true,
    tlsConfig: { certFile: tls.certFile, keyFile: tls.keyFile, caFile: tls.caFile },
  };
}

/** Returns the local-cluster variant of a shipped KubeSchedulerConfiguration (YAML in, YAML out). */
export function localSchedulerConfig(
  shippedYaml: string,
  extenderUrl: string,
  tls?: ExtenderClientTls,
): string {
  const config: unknown = parse(shippedYaml);
  if (!isObj(config) || config['kind'] !== 'KubeSchedulerConfiguration') {
    throw new Error('scheduler config: expected kind KubeSchedulerConfiguration');
  }
  if (config['apiVersion'] !== 'kubescheduler.config.k8s.io/v1') {
    throw new Error('scheduler config: expected apiVersion kubescheduler.config.k8s.io/v1');
  }
  const extenders = list(config['extenders'], 'extenders');
  if (extenders.length === 0) throw new Error('scheduler config: no extender to point at Phalanx');
  const profiles = list(config['profiles'], 'profiles');
  const first = profiles[0];
  if (first === undefined) throw new Error('scheduler config: no profile');

  const withDefault = profiles.some((p) => p['schedulerName'] === DEFAULT_PROFILE)
    ? profiles
    : [{ ...structuredClone(first), schedulerName: DEFAULT_PROFILE }, ...profiles];

  const local: Obj = {
    ...config,
    profiles: withDefault,
    extenders: extenders.map((e) => localExtender(e, extenderUrl, tls)),
  };
  const connection = config['clientConnection'];
  if (isObj(connection)) {
    const { kubeconfig: _filledByKwokctl, ...rest } = connection;
    local['clientConnection'] = rest;
  }
  return stringify(local);
}
