// Fuzzing the extender's request parsing (issue 17): 10 000 generated bodies per parser. A body is
// either accepted unchanged (the verbs get the very objects that were sent, so a valid request is
// answered exactly as before) or refused with a WireError whose field is the JSON path of the bad
// value; nothing else is ever thrown. Accepted filter/prioritize/bind bodies then go through the real
// scheduling service, which must not throw either (no "internal error" reply).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BindingWriter } from '../../src/app/binding/binding-writer.js';
import { SchedulingService } from '../../src/app/scheduling/scheduling-service.js';
import { ClusterState } from '../../src/core/cluster-state.js';
import { nodeInventory } from '../../src/core/inventory.js';
import { policyByName } from '../../src/core/policies/registry.js';
import {
  parseBindingArgs,
  parseExtenderArgs,
  parsePreemptionArgs,
  WireError,
} from '../../src/extender/parse-args.js';
import { FakeApi } from '../fakes/app-ports.js';
import { mutatedPodArb, pathText, validPodArb } from '../support/pod-fuzz.js';

const RUNS = 10_000;
/** 10 000 cases take seconds on a loaded 2-core machine: more than vitest's default 5 s. */
const PROPERTY_TIMEOUT_MS = 120_000;
const NODES = ['node-1', 'node-2', 'cpu-1'];

const state = new ClusterState();
for (const [name, gpus] of [
  ['node-1', '8'],
  ['node-2', '2'],
  ['cpu-1', '0'],
] as const) {
  state.applyNode(
    nodeInventory({
      metadata: { name, labels: { 'nvidia.com/gpu.memory': '81920', 'nvidia.com/gpu.product': 'H100' } },
      status: { allocatable: { 'nvidia.com/gpu': gpus } },
    }),
  );
}
const api = new FakeApi();
const service = new SchedulingService({
  state,
  policyFor: () => policyByName('phalanx'),
  pods: api,
  binding: new BindingWriter({ state, binder: api, pods: api }),
  clock: { now: () => 1_000_000 },
  reservationTtlMs: 30_000,
  levels: ['nvidia.com/gpu.clique', 'topology.kubernetes.io/zone'],
  notServingReason: () => undefined,
});

/** Runs `parse`; returns the WireError it threw, or undefined. Any other throw fails the property. */
function wireErrorOf(parse: () => unknown): WireError | undefined {
  try {
    parse();
    return undefined;
  } catch (err) {
    expect(err).toBeInstanceOf(WireError);
    return err as WireError;
  }
}

const junk = fc.oneof(
  fc.constant(null),
  fc.integer(),
  fc.string({ maxLength: 5 }),
  fc.boolean(),
  fc.array(fc.oneof(fc.string({ maxLength: 3 }), fc.integer()), { maxLength: 3 }),
  fc.dictionary(fc.string({ maxLength: 4 }), fc.oneof(fc.string({ maxLength: 3 }), fc.integer()), {
    maxKeys: 2,
  }),
);
const nodeNames = fc.array(fc.oneof(fc.constantFrom(...NODES), fc.string({ minLength: 1, maxLength: 8 })), {
  maxLength: 6,
});

describe('filter and prioritize bodies', { timeout: PROPERTY_TIMEOUT_MS }, () => {
  it('accept valid pods unchanged and the service answers without throwing', () => {
    fc.assert(
      fc.property(validPodArb, nodeNames, fc.boolean(), (pod, names, objects) => {
        const body = objects
          ? {
              Pod: pod,
              Nodes: { metadata: {}, items: names.map((name) => ({ metadata: { name } })) },
              NodeNames: null,
            }
          : { Pod: pod, Nodes: null, NodeNames: names };
        const args = parseExtenderArgs(body);
        expect(args.Pod).toBe(pod);
        const filtered = service.filter(args.Pod, names);
        expect(filtered.error).toBeUndefined();
        for (const reason of [...Object.values(filtered.failed), ...Object.values(filtered.unresolvable)]) {
          expect(reason).not.toMatch(/internal error/);
        }
        expect(service.prioritize(args.Pod, names)).toHaveLength(names.length);
      }),
      { numRuns: RUNS },
    );
  });

  it('refuse a pod with one field of the wrong type, naming its JSON path', () => {
    fc.assert(
      fc.property(mutatedPodArb, nodeNames, ({ pod, path }, names) => {
        const err = wireErrorOf(() => parseExtenderArgs({ Pod: pod, Nodes: null, NodeNames: names }));
        expect(err?.field).toBe(pathText('Pod', path));
        expect(err?.message.startsWith(`${err?.field}: `)).toBe(true);
      }),
      { numRuns: RUNS },
    );
  });

  it('never throw anything but a WireError on arbitrary envelopes', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          junk,
          fc.record({ Pod: fc.oneof(junk, validPodArb), Nodes: junk, NodeNames: fc.oneof(junk, nodeNames) }),
          fc.record({
            Pod: validPodArb,
            Nodes: fc.record({
              items: fc.array(fc.oneof(junk, fc.record({ metadata: junk })), { maxLength: 3 }),
            }),
          }),
        ),
        (body) => {
          const err = wireErrorOf(() => parseExtenderArgs(body));
          if (err !== undefined) expect(err.field).toMatch(/^(body|Pod|Nodes|NodeNames)/);
        },
      ),
      { numRuns: RUNS },
    );
  });
});

describe('bind bodies', { timeout: PROPERTY_TIMEOUT_MS }, () => {
  it('accept four non-empty strings and refuse anything else naming the field', () => {
    const field = fc.oneof(fc.string({ minLength: 1, maxLength: 8 }), junk);
    fc.assert(
      fc.property(
        fc.record({ PodName: field, PodNamespace: field, PodUID: field, Node: field }, { requiredKeys: [] }),
        (body) => {
          const err = wireErrorOf(() => parseBindingArgs(body));
          const bad = (['PodName', 'PodNamespace', 'PodUID', 'Node'] as const).find(
            (k) => typeof body[k] !== 'string' || body[k] === '',
          );
          expect(err?.field).toBe(bad);
        },
      ),
      { numRuns: RUNS },
    );
  });
});

describe('preempt bodies', { timeout: PROPERTY_TIMEOUT_MS }, () => {
  const metaVictims = fc.dictionary(
    fc.string({ minLength: 1, maxLength: 6 }),
    fc.oneof(
      fc.record({
        Pods: fc.array(fc.oneof(fc.record({ UID: fc.string({ minLength: 1, maxLength: 6 }) }), junk), {
          maxLength: 3,
        }),
        NumPDBViolations: fc.oneof(fc.integer(), junk),
      }),
      junk,
    ),
    { maxKeys: 3 },
  );
  const fullVictims = fc.dictionary(
    fc.string({ minLength: 1, maxLength: 6 }),
    fc.oneof(
      fc.record({
        Pods: fc.array(fc.oneof(validPodArb, junk), { maxLength: 2 }),
        NumPDBViolations: fc.integer(),
      }),
      junk,
    ),
    { maxKeys: 2 },
  );

  it('accept well-formed victims and the preemptor unchanged, refuse the rest naming the field', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          validPodArb,
          mutatedPodArb.map((m) => m.pod),
        ),
        fc.oneof(metaVictims, junk),
        fc.oneof(fullVictims, fc.constant(null)),
        (pod, meta, full) => {
          const body = { Pod: pod, NodeNameToMetaVictims: meta, NodeNameToVictims: full };
          let args;
          try {
            args = parsePreemptionArgs(body);
          } catch (err) {
            expect(err).toBeInstanceOf(WireError);
            expect((err as WireError).field).toMatch(/^(body|Pod|NodeNameToMetaVictims|NodeNameToVictims)/);
            return;
          }
          expect(args.Pod).toBe(pod);
          for (const victims of Object.values(args.NodeNameToMetaVictims ?? {})) {
            for (const p of victims.Pods) expect(typeof p.UID).toBe('string');
          }
        },
      ),
      { numRuns: RUNS },
    );
  });
});
