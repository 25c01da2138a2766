import { describe, expect, it } from 'vitest';
import { createLeadership } from '../../src/cli/leadership.js';
import type { KubeClients } from '../../src/kube/kube-config.js';
import { recordingLogger } from '../fakes/kube-logger.js';

function dutyLog(log: string[], name: string) {
  return { start: () => log.push(`${name} start`), stop: () => log.push(`${name} stop`) };
}

describe('createLeadership without leader election', () => {
  it('leads from start(): duties registered before start then, later ones at once, all stop on stop()', async () => {
    const log: string[] = [];
    const leadership = createLeadership({
      config: { enabled: false, namespace: 'phalanx-system', leaseName: 'phalanx' },
      // Never called: without leader election no Lease or pod is touched.
      clients: {} as KubeClients,
      identity: 'test',
      clock: { now: () => 0 },
      logger: recordingLogger(),
    });
    expect(leadership.isLeader()).toBe(true);
    leadership.whileLeading(dutyLog(log, 'a'));
    expect(log).toEqual([]);
    leadership.start();
    expect(log).toEqual(['a start']);
    leadership.whileLeading(dutyLog(log, 'b'));
    expect(log).toEqual(['a start', 'b start']);
    await leadership.stop();
    expect(log).toEqual(['a start', 'b start', 'a stop', 'b stop']);
  });
});
