// Host ports as upstream's NodePorts plugin (HostPortInfo.CheckConflict) treats them.
import { describe, expect, it } from 'vitest';
import type { ContainerShape } from '../../../src/core/kube-shapes.js';
import { hostPortConflicts, podHostPorts, type HostPort } from '../../../src/core/eligibility/host-ports.js';
import { pod } from './fixtures.js';

const hp = (hostIP: string, port: number, protocol = 'TCP'): HostPort => ({ hostIP, protocol, port });

describe('hostPortConflicts', () => {
  it.each<[string, HostPort, HostPort[], boolean]>([
    ['nothing in use', hp('0.0.0.0', 80), [], false],
    ['same IP, port and protocol', hp('10.0.0.1', 80), [hp('10.0.0.1', 80)], true],
    ['0.0.0.0 wanted, a specific IP in use', hp('0.0.0.0', 80), [hp('127.0.0.1', 80)], true],
    ['a specific IP wanted, 0.0.0.0 in use', hp('127.0.0.1', 80), [hp('0.0.0.0', 80)], true],
    ['two different specific IPs', hp('127.0.0.1', 80), [hp('127.0.0.2', 80)], false],
    ['UDP and TCP on one port', hp('0.0.0.0', 53, 'UDP'), [hp('0.0.0.0', 53, 'TCP')], false],
    ['UDP and UDP', hp('0.0.0.0', 53, 'UDP'), [hp('10.1.1.1', 53, 'UDP')], true],
    ['different ports', hp('0.0.0.0', 80), [hp('0.0.0.0', 8080)], false],
    ['an empty hostIP is 0.0.0.0', hp('', 80), [hp('10.0.0.1', 80)], true],
    ['an empty protocol is TCP', hp('0.0.0.0', 80, ''), [hp('0.0.0.0', 80, 'TCP')], true],
    ['port 0 never conflicts', hp('0.0.0.0', 0), [hp('0.0.0.0', 0)], false],
  ])('%s', (_name, wanted, used, expected) => {
    expect(hostPortConflicts(wanted, used)).toBe(expected);
  });
});

describe('podHostPorts', () => {
  it('takes app containers’ ports with a hostPort, filling in the defaults', () => {
    const web: ContainerShape = {
      ports: [
        { containerPort: 8080 },
        { containerPort: 80, hostPort: 80 },
        { containerPort: 53, hostPort: 5353, protocol: 'UDP', hostIP: '127.0.0.1' },
        { containerPort: 90, hostPort: 0 },
      ],
    };
    const init: ContainerShape = { ports: [{ containerPort: 9000, hostPort: 9000 }] };
    const p = { ...pod(), spec: { containers: [web], initContainers: [init] } };
    expect(podHostPorts(p)).toEqual([hp('0.0.0.0', 80), hp('127.0.0.1', 5353, 'UDP')]);
  });

  it('a pod without ports takes none', () => {
    expect(podHostPorts(pod())).toEqual([]);
    expect(podHostPorts({})).toEqual([]);
  });
});
