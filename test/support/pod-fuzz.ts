// Generators for fuzzing the adapters' pod parsing: valid pods (every field core reads, with request
// annotations and quantities drawn from pools that include garbage values), and the same pods with
// exactly one field core reads given a value of the wrong JSON type, together with that field's path.
import fc from 'fast-check';

type Json = unknown;
type Kind = 'string' | 'number' | 'boolean' | 'array' | 'object' | 'map';

/** Every field of the base pod that core reads, with its JSON kind. */
export const POD_SLOTS: readonly (readonly [readonly (string | number)[], Kind])[] = [
  [['metadata'], 'object'],
  [['metadata', 'name'], 'string'],
  [['metadata', 'generateName'], 'string'],
  [['metadata', 'namespace'], 'string'],
  [['metadata', 'uid'], 'string'],
  [['metadata', 'labels'], 'map'],
  [['metadata', 'annotations'], 'map'],
  [['metadata', 'creationTimestamp'], 'string'],
  [['metadata', 'deletionTimestamp'], 'string'],
  [['metadata', 'ownerReferences'], 'array'],
  [['metadata', 'ownerReferences', 0], 'object'],
  [['metadata', 'ownerReferences', 0, 'kind'], 'string'],
  [['metadata', 'ownerReferences', 0, 'name'], 'string'],
  [['metadata', 'ownerReferences', 0, 'controller'], 'boolean'],
  [['spec'], 'object'],
  [['spec', 'containers'], 'array'],
  [['spec', 'containers', 0], 'object'],
  [['spec', 'containers', 0, 'name'], 'string'],
  [['spec', 'containers', 0, 'resources'], 'object'],
  [['spec', 'containers', 0, 'resources', 'requests'], 'map'],
  [['spec', 'containers', 0, 'resources', 'limits'], 'map'],
  [['spec', 'containers', 0, 'ports'], 'array'],
  [['spec', 'containers', 0, 'ports', 0, 'hostPort'], 'number'],
  [['spec', 'containers', 0, 'ports', 0, 'protocol'], 'string'],
  [['spec', 'initContainers'], 'array'],
  [['spec', 'initContainers', 0, 'restartPolicy'], 'string'],
  [['spec', 'nodeName'], 'string'],
  [['spec', 'schedulerName'], 'string'],
  [['spec', 'schedulingGates'], 'array'],
  [['spec', 'schedulingGates', 0, 'name'], 'string'],
  [['spec', 'priority'], 'number'],
  [['spec', 'nodeSelector'], 'map'],
  [['spec', 'affinity'], 'object'],
  [['spec', 'affinity', 'nodeAffinity', 'requiredDuringSchedulingIgnoredDuringExecution'], 'object'],
  [
    [
      'spec',
      'affinity',
      'nodeAffinity',
      'requiredDuringSchedulingIgnoredDuringExecution',
      'nodeSelectorTerms',
    ],
    'array',
  ],
  [
    [
      'spec',
      'affinity',
      'nodeAffinity',
      'requiredDuringSchedulingIgnoredDuringExecution',
      'nodeSelectorTerms',
      0,
      'matchExpressions',
      0,
      'values',
    ],
    'array',
  ],
  [['spec', 'affinity', 'podAntiAffinity', 'requiredDuringSchedulingIgnoredDuringExecution'], 'array'],
  [
    [
      'spec',
      'affinity',
      'podAntiAffinity',
      'requiredDuringSchedulingIgnoredDuringExecution',
      0,
      'topologyKey',
    ],
    'string',
  ],
  [
    ['spec', 'affinity', 'podAffinity', 'requiredDuringSchedulingIgnoredDuringExecution', 0, 'labelSelector'],
    'object',
  ],
  [['spec', 'tolerations'], 'array'],
  [['spec', 'tolerations', 0, 'key'], 'string'],
  [['spec', 'tolerations', 0, 'tolerationSeconds'], 'number'],
  [['spec', 'overhead'], 'map'],
  [['spec', 'topologySpreadConstraints'], 'array'],
  [['spec', 'topologySpreadConstraints', 0, 'maxSkew'], 'number'],
  [['spec', 'topologySpreadConstraints', 0, 'whenUnsatisfiable'], 'string'],
  [['spec', 'topologySpreadConstraints', 0, 'matchLabelKeys'], 'array'],
  [['spec', 'schedulingGroup'], 'object'],
  [['spec', 'schedulingGroup', 'podGroupName'], 'string'],
  [['status'], 'object'],
  [['status', 'phase'], 'string'],
];

const scalar = fc.oneof(fc.integer(), fc.boolean(), fc.string({ maxLength: 4 }));
const WRONG: Readonly<Record<Kind, fc.Arbitrary<Json>>> = {
  string: fc.oneof(fc.integer(), fc.boolean(), fc.constant([]), fc.constant({ a: 1 })),
  number: fc.oneof(fc.string({ maxLength: 4 }), fc.boolean(), fc.constant({}), fc.constant([1])),
  boolean: fc.oneof(fc.string({ maxLength: 4 }), fc.integer(), fc.constant({}), fc.constant([true])),
  array: fc.oneof(fc.string({ maxLength: 4 }), fc.integer(), fc.boolean(), fc.constant({ 0: 'x' })),
  object: fc.oneof(
    fc.string({ maxLength: 4 }),
    fc.integer(),
    fc.boolean(),
    fc.array(scalar, { maxLength: 2 }),
  ),
  map: fc.oneof(fc.string({ maxLength: 4 }), fc.integer(), fc.boolean(), fc.array(scalar, { maxLength: 2 })),
};

/** Request annotation keys and values, canonical and aliases, with valid and garbage values. */
const ANNOTATION_KEYS = [
  'phalanx.dev/gpu-fraction',
  'phalanx.dev/gpu-memory',
  'phalanx.dev/pod-group',
  'phalanx.dev/group-size',
  'phalanx.dev/topology-required',
  'phalanx.dev/topology-preferred',
  'phalanx.dev/policy',
  'gpu-fraction',
  'gpu-memory',
  'gpu-fraction-num-devices',
  'kai.scheduler/topology-required-placement',
  'leaderworkerset.sigs.k8s.io/size',
  'other/annotation',
];
export const ANNOTATION_VALUE = fc.oneof(
  fc.constantFrom(
    '0.5',
    '0.25',
    '1',
    '2',
    '4',
    '0',
    '-1',
    '1e400',
    '999999999',
    '20Gi',
    '100Ti',
    'x',
    '',
    ' ',
  ),
  fc.constantFrom('nvidia.com/gpu.clique', 'node', 'binpack', 'spread', 'phalanx', 'g1', 'NaN', '0x10'),
  fc.string({ maxLength: 12 }),
);
export const annotationsArb = fc.dictionary(fc.constantFrom(...ANNOTATION_KEYS), ANNOTATION_VALUE, {
  maxKeys: 5,
});

const QUANTITY = fc.oneof(
  fc.constantFrom('1', '2', '8', '0', '500m', '1Gi', '100', '1e3', '65', '-1', 'abc', '1.5', '1e40'),
  fc.integer({ min: -2, max: 100 }),
  fc.string({ maxLength: 6 }),
);
const RESOURCE = fc.constantFrom('nvidia.com/gpu', 'phalanx.dev/gpu-milli', 'cpu', 'memory', 'example.com/x');
const quantities = fc.dictionary(RESOURCE, QUANTITY, { maxKeys: 3 });

/** A valid pod: every field core reads present with its JSON type; request values drawn from pools. */
export const validPodArb: fc.Arbitrary<Record<string, Json>> = fc
  .record({
    annotations: annotationsArb,
    labels: fc.dictionary(fc.string({ maxLength: 8 }), fc.string({ maxLength: 8 }), { maxKeys: 3 }),
    requests: quantities,
    limits: quantities,
    initLimits: quantities,
    sidecar: fc.boolean(),
    hostPort: fc.integer({ min: 0, max: 70000 }),
    priority: fc.integer({ min: -10, max: 1_000_000 }),
    nullTimestamp: fc.boolean(),
    selector: fc.dictionary(
      fc.constantFrom('nvidia.com/gpu.product', 'pool', 'zone'),
      fc.string({ maxLength: 6 }),
      { maxKeys: 2 },
    ),
    operator: fc.constantFrom('In', 'NotIn', 'Exists', 'DoesNotExist', 'Gt', 'Lt', 'Bogus'),
    whenUnsatisfiable: fc.constantFrom('DoNotSchedule', 'ScheduleAnyway', 'x'),
    maxSkew: fc.integer({ min: -1, max: 5 }),
    podGroupName: fc.constantFrom('', 'pg'),
  })
  .map((v) => ({
    metadata: {
      name: 'p-0',
      generateName: 'p-',
      namespace: 'ml',
      uid: 'uid-0',
      labels: v.labels,
      annotations: v.annotations,
      creationTimestamp: v.nullTimestamp ? null : '2026-01-01T00:00:00Z',
      deletionTimestamp: '2026-01-01T00:00:00Z',
      ownerReferences: [{ apiVersion: 'batch/v1', kind: 'Job', name: 'j', uid: 'o', controller: true }],
    },
    spec: {
      containers: [
        {
          name: 'main',
          image: 'x',
          resources: { requests: v.requests, limits: v.limits },
          ports: [{ name: 'p', containerPort: 80, hostPort: v.hostPort, protocol: 'TCP', hostIP: '' }],
        },
      ],
      initContainers: [
        { name: 'init', restartPolicy: v.sidecar ? 'Always' : 'Never', resources: { limits: v.initLimits } },
      ],
      nodeName: '',
      schedulerName: 'phalanx-scheduler',
      schedulingGates: [{ name: 'gate' }],
      priority: v.priority,
      nodeSelector: v.selector,
      affinity: {
        nodeAffinity: {
          requiredDuringSchedulingIgnoredDuringExecution: {
            nodeSelectorTerms: [
              {
                matchExpressions: [{ key: 'nvidia.com/gpu.product', operator: v.operator, values: ['H100'] }],
                matchFields: [],
              },
            ],
          },
        },
        podAffinity: {
          requiredDuringSchedulingIgnoredDuringExecution: [
            { labelSelector: { matchLabels: { a: 'b' } }, topologyKey: 'zone' },
          ],
        },
        podAntiAffinity: {
          requiredDuringSchedulingIgnoredDuringExecution: [
            { labelSelector: { matchExpressions: [] }, topologyKey: 'kubernetes.io/hostname' },
          ],
        },
      },
      tolerations: [{ key: 'k', operator: 'Exists', effect: 'NoSchedule', tolerationSeconds: 5 }],
      overhead: { cpu: '100m' },
      topologySpreadConstraints: [
        {
          maxSkew: v.maxSkew,
          topologyKey: 'zone',
          whenUnsatisfiable: v.whenUnsatisfiable,
          labelSelector: { matchLabels: {} },
          matchLabelKeys: [],
        },
      ],
      schedulingGroup: { podGroupName: v.podGroupName },
    },
    status: { phase: 'Pending' },
  }));

function setAt(root: Record<string, Json>, path: readonly (string | number)[], value: Json): void {
  let node = root as Record<string | number, Json>;
  for (const key of path.slice(0, -1)) node = node[key] as Record<string | number, Json>;
  node[path[path.length - 1]!] = value;
}

/** `path` as the adapters name it: `.key`, `[index]`, `[map key]`. */
export function pathText(prefix: string, path: readonly (string | number)[]): string {
  let out = prefix;
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else if (/^[A-Za-z_$][\w$]*$/.test(part)) out += out === '' ? part : `.${part}`;
    else out += `[${part}]`;
  }
  return out;
}

export interface MutatedPod {
  readonly pod: Record<string, Json>;
  readonly path: readonly (string | number)[];
}

/** A valid pod with one field core reads set to a value of the wrong JSON type, or a map entry that is not a string. */
export const mutatedPodArb: fc.Arbitrary<MutatedPod> = fc
  .oneof(
    fc
      .tuple(validPodArb, fc.constantFrom(...POD_SLOTS))
      .chain(([pod, [path, kind]]) => WRONG[kind].map((bad) => ({ pod, path, bad }))),
    fc
      .tuple(
        validPodArb,
        fc.constantFrom<readonly (string | number)[]>(
          ['metadata', 'annotations'],
          ['metadata', 'labels'],
          ['spec', 'nodeSelector'],
        ),
        fc.constantFrom('phalanx.dev/group-size', 'app', 'nvidia.com/gpu.product'),
        fc.oneof(fc.integer(), fc.boolean(), fc.constant({}), fc.constant([])),
      )
      .map(([pod, mapPath, key, bad]) => ({ pod, path: [...mapPath, key], bad })),
    fc
      .tuple(
        validPodArb,
        fc.constantFrom('requests', 'limits'),
        fc.constantFrom('nvidia.com/gpu', 'cpu'),
        fc.oneof(fc.boolean(), fc.constant({}), fc.constant([1])),
      )
      .map(([pod, which, key, bad]) => ({
        pod,
        path: ['spec', 'containers', 0, 'resources', which, key],
        bad,
      })),
  )
  .map(({ pod, path, bad }) => {
    const copy = structuredClone(pod);
    setAt(copy, path, bad);
    return { pod: copy, path };
  });
