// BindingWriter's device step (issue 16): a share's Binding carries the annotations the step returns
// (the device UUID); a failed step writes no Binding and releases the reservation; a replica that
// lost the Lease while the step waited writes nothing.
import { describe, expect, it } from 'vitest';
import { BindingWriter, type DeviceStepResult } from '../../../src/app/binding/binding-writer.js';
import type { Assignment } from '../../../src/core/types.js';
import { oneNodeWithPendingPod, PENDING_POD } from '../../support/one-node.js';

const ref = PENDING_POD;

function setup(step: () => Promise<DeviceStepResult>, leading: () => boolean = () => true) {
  const { state, node, api } = oneNodeWithPendingPod();
  const writer = new BindingWriter({
    state,
    binder: api,
    pods: api,
    fence: { holdsLeaseWithMargin: leading },
    deviceStep: step,
  });
  const assignment: Assignment = { node, whole: false, devices: [{ index: 1, milli: 500, memoryBytes: 0 }] };
  state.reserve(ref.uid, assignment, Date.now() + 60_000);
  return { state, api, writer, node, assignment };
}

describe('BindingWriter device step', () => {
  it('puts the step’s annotations into the Binding', async () => {
    const t = setup(() => Promise.resolve({ ok: true, annotations: { 'phalanx.dev/gpu-uuid': 'GPU-a' } }));
    expect(await t.writer.write(ref, t.node, t.assignment)).toBe('');
    expect(t.api.bindings[0]?.annotations).toEqual({
      'phalanx.dev/gpu-uuid': 'GPU-a',
      'phalanx.dev/gpu-devices': '1:500m',
    });
  });

  it('writes no Binding and releases the reservation when the step fails', async () => {
    const t = setup(() => Promise.resolve({ ok: false, reason: 'no UUID within 15s' }));
    expect(await t.writer.write(ref, t.node, t.assignment)).toContain('no UUID within 15s');
    expect(t.api.bindings).toEqual([]);
    expect(t.state.holding(ref.uid)).toBeUndefined();
  });

  it('checks the Lease again after the step', async () => {
    let leading = true;
    const t = setup(
      () => {
        leading = false;
        return Promise.resolve({ ok: true, annotations: {} });
      },
      () => leading,
    );
    expect(await t.writer.write(ref, t.node, t.assignment)).toMatch(/no longer holds the leader Lease/);
    expect(t.api.bindings).toEqual([]);
  });
});
