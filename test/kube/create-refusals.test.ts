import type { CoreV1Event } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { ApiCreateRefusals, type EventListApi } from '../../src/kube/create-refusals.js';

describe('ApiCreateRefusals', () => {
  it('asks for the owner’s FailedCreate events and answers with the newest message', async () => {
    const asked: unknown[] = [];
    const items: CoreV1Event[] = [
      { metadata: {}, involvedObject: {}, message: 'older', lastTimestamp: new Date('2026-11-26T10:00:00Z') },
      { metadata: {}, involvedObject: {}, message: 'newer', lastTimestamp: new Date('2026-11-26T11:00:00Z') },
    ];
    const api = {
      listNamespacedEvent: (args: unknown) => {
        asked.push(args);
        return Promise.resolve({ items });
      },
    } as unknown as EventListApi;
    const owner = { namespace: 'ml', kind: 'Job', name: 'train', uid: 'u-1' };
    const clock = { now: () => Date.parse('2026-11-26T11:05:00Z') };
    expect(await new ApiCreateRefusals(api, clock).latest(owner)).toBe('newer');
    // Ten minutes later the newest refusal is history.
    const later = { now: () => Date.parse('2026-11-26T11:10:01Z') };
    expect(await new ApiCreateRefusals(api, later).latest(owner)).toBeUndefined();
    expect(asked[0]).toEqual({
      namespace: 'ml',
      fieldSelector: 'involvedObject.uid=u-1,reason=FailedCreate',
    });
  });

  it('answers undefined when there is none', async () => {
    const api = { listNamespacedEvent: () => Promise.resolve({ items: [] }) } as unknown as EventListApi;
    expect(
      await new ApiCreateRefusals(api, { now: () => 0 }).latest({
        namespace: 'ml',
        kind: 'Job',
        name: 'j',
        uid: 'u',
      }),
    ).toBeUndefined();
  });
});
