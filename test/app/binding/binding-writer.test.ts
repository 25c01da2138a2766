// BindingWriter: refused binds release the reservation, binds of unknown outcome keep it, a replica
// without the Lease writes nothing, and devices no longer reserved are never bound (issue 17).
import { describe, expect, it } from 'vitest';
import { BindingWriter } from '../../../src/app/binding/binding-writer.js';
import { BindError } from '../../../src/app/ports.js';
import { oneNodeWithPendingPod, PENDING_POD } from '../../support/one-node.js';

const ref = PENDING_POD;

function setup(opts: { leading?: boolean } = {}) {
  const { state, node, api, assignment } = oneNodeWithPendingPod();
  const fence = { holdsLeaseWithMargin: () => opts.leading ?? true };
  const writer = new BindingWriter({ state, binder: api, pods: api, fence });
  state.reserve(ref.uid, assignment, Date.now() + 60_000);
  return { state, api, writer, node, assignment };
}

describe('BindingWriter.write', () => {
  it('commits the devices once bound', async () => {
    const t = setup();
    expect(await t.writer.write(ref, t.node, t.assignment)).toBe('');
    expect(t.state.holding(ref.uid)?.state).toBe('committed');
  });

  it('releases the reservation when the bind was refused (4xx) or surely did not land (5xx, read back)', async () => {
    for (const err of [
      new BindError('other', 'HTTP 403'),
      new BindError('unbound', 'HTTP 503; still unbound'),
    ]) {
      const t = setup();
      t.api.failNext = err;
      expect(await t.writer.write(ref, t.node, t.assignment)).toContain(err.message);
      expect(t.state.holding(ref.uid)).toBeUndefined();
    }
  });

  it('keeps the reservation when the outcome is unknown: the Binding may have landed', async () => {
    const t = setup();
    t.api.failNext = new BindError('unknown', 'timeout; reading the pod back failed');
    expect(await t.writer.write(ref, t.node, t.assignment)).toContain('timeout');
    expect(t.state.holding(ref.uid)?.state).toBe('reserved');
  });

  it('keeps the reservation on a conflict whose pod cannot be read back', async () => {
    const t = setup();
    t.api.failNext = new BindError('conflict', 'HTTP 409');
    t.api.getPod = () => Promise.reject(new Error('HTTP 503'));
    const outcome = await t.writer.attempt(ref, t.node, t.assignment);
    expect(outcome).toMatchObject({ kind: 'failed', retry: true, maybeBound: true });
    expect(t.state.holding(ref.uid)?.state).toBe('reserved');
  });

  it('writes nothing without the Lease held with margin', async () => {
    const t = setup({ leading: false });
    expect(await t.writer.write(ref, t.node, t.assignment)).toMatch(/no longer holds the leader Lease/);
    expect(t.api.bindings).toEqual([]);
  });

  it('does not bind devices that are no longer reserved for the pod (node removed and seen again)', async () => {
    const t = setup();
    t.state.release(ref.uid);
    t.state.reserve('someone-else', t.assignment, Date.now() + 60_000);
    expect(await t.writer.write(ref, t.node, t.assignment)).toMatch(/no longer reserved/);
    expect(t.api.bindings).toEqual([]);
    expect(t.state.holding('someone-else')?.state).toBe('reserved');
  });

  it('never drops a commitment the informer made for a pod found bound elsewhere', async () => {
    const t = setup();
    t.state.commit(ref.uid);
    t.api.failNext = new BindError('other', 'HTTP 403');
    const outcome = await t.writer.attempt(ref, t.node, t.assignment);
    expect(outcome.kind).toBe('failed');
    t.writer.releaseReservation(ref.uid);
    expect(t.state.holding(ref.uid)?.state).toBe('committed');
  });
});
