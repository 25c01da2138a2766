// Host ports as kube-scheduler's NodePorts Filter reads them: only an app container's ports with a
// hostPort > 0 take a port on the node; protocol defaults to TCP and hostIP to 0.0.0.0. A port bound on
// 0.0.0.0 conflicts with the same port/protocol on any IP, and any IP conflicts with 0.0.0.0.
import type { PodShape } from '../kube-shapes.js';

export interface HostPort {
  readonly hostIP: string;
  readonly protocol: string;
  readonly port: number;
}

export const ALL_HOST_IPS = '0.0.0.0';
export const DEFAULT_PROTOCOL = 'TCP';

/** Fills in the upstream defaults (empty hostIP → 0.0.0.0, empty protocol → TCP). */
export function normalizeHostPort(port: {
  readonly hostIP?: string | undefined;
  readonly protocol?: string | undefined;
  readonly port: number;
}): HostPort {
  return {
    hostIP: port.hostIP || ALL_HOST_IPS,
    protocol: port.protocol || DEFAULT_PROTOCOL,
    port: port.port,
  };
}

/** The host ports a pod occupies (app containers, as upstream), normalized. */
export function podHostPorts(pod: PodShape): HostPort[] {
  return (pod.spec?.containers ?? []).flatMap((container) =>
    (container.ports ?? [])
      .filter((p) => (p.hostPort ?? 0) > 0)
      .map((p) => normalizeHostPort({ hostIP: p.hostIP, protocol: p.protocol, port: p.hostPort ?? 0 })),
  );
}

/** Upstream HostPortInfo.CheckConflict for one wanted port against the ports in use. */
export function hostPortConflicts(wanted: HostPort, used: readonly HostPort[]): boolean {
  if (wanted.port <= 0) return false;
  const want = normalizeHostPort(wanted);
  return used.some((u) => {
    const have = normalizeHostPort(u);
    if (have.port !== want.port || have.protocol !== want.protocol) return false;
    return want.hostIP === ALL_HOST_IPS || have.hostIP === ALL_HOST_IPS || have.hostIP === want.hostIP;
  });
}

/** The first of `wanted` that conflicts with `used`, if any. */
export function firstHostPortConflict(
  wanted: readonly HostPort[],
  used: readonly HostPort[],
): HostPort | undefined {
  return wanted.find((port) => hostPortConflicts(port, used));
}
