// The shape of every Pod field core reads (core/kube-shapes.ts PodShape), as a zod schema, so the
// HTTP adapters refuse a pod whose fields have the wrong JSON types with the JSON path of the first
// bad one (`spec.containers: must be an array`), instead of core failing on it ("forEach is not a
// function"). Shared by the extender (Pod of filter, prioritize, preempt) and the webhook
// (AdmissionReview object and oldObject).
//
// Validation only: the caller keeps its own object, so a pod that passes is answered exactly as
// before. Fields core does not read are not looked at (objects are loose). An optional field may be
// absent or null (Go's encoder writes `creationTimestamp: null`; core reads every optional field with
// `?.` / `??`). Fields the Kubernetes API itself requires are required here too.
import { z } from 'zod';
import type { PodShape } from '../../core/kube-shapes.js';

const optionalString = z.string().nullish();
const stringMap = z.record(z.string(), z.string()).nullish();
const stringList = z.array(z.string()).nullish();
const quantityMap = z.record(z.string(), z.union([z.string(), z.number()])).nullish();
const optionalNumber = z.number().nullish();

/** In, NotIn, Exists, DoesNotExist (Gt, Lt for nodes): key and operator required, as in the API. */
const requirement = z.looseObject({ key: z.string(), operator: z.string(), values: stringList });
const requirements = z.array(requirement).nullish();

const labelSelector = z.looseObject({ matchLabels: stringMap, matchExpressions: requirements }).nullish();

const podAffinityTerm = z.looseObject({
  labelSelector,
  namespaces: stringList,
  namespaceSelector: labelSelector,
  topologyKey: z.string(),
  matchLabelKeys: stringList,
  mismatchLabelKeys: stringList,
});

const podAffinity = z
  .looseObject({ requiredDuringSchedulingIgnoredDuringExecution: z.array(podAffinityTerm).nullish() })
  .nullish();

const affinity = z
  .looseObject({
    nodeAffinity: z
      .looseObject({
        requiredDuringSchedulingIgnoredDuringExecution: z
          .looseObject({
            nodeSelectorTerms: z.array(
              z.looseObject({ matchExpressions: requirements, matchFields: requirements }),
            ),
          })
          .nullish(),
      })
      .nullish(),
    podAffinity,
    podAntiAffinity: podAffinity,
  })
  .nullish();

const toleration = z.looseObject({
  key: optionalString,
  operator: optionalString,
  value: optionalString,
  effect: optionalString,
  tolerationSeconds: optionalNumber,
});

const topologySpreadConstraint = z.looseObject({
  maxSkew: z.number(),
  topologyKey: z.string(),
  whenUnsatisfiable: z.string(),
  labelSelector,
  minDomains: optionalNumber,
  nodeAffinityPolicy: optionalString,
  nodeTaintsPolicy: optionalString,
  matchLabelKeys: stringList,
});

const container = z.looseObject({
  name: optionalString,
  restartPolicy: optionalString,
  resources: z.looseObject({ requests: quantityMap, limits: quantityMap }).nullish(),
  ports: z
    .array(
      z.looseObject({
        name: optionalString,
        containerPort: optionalNumber,
        hostPort: optionalNumber,
        protocol: optionalString,
        hostIP: optionalString,
      }),
    )
    .nullish(),
});

const metadata = z.looseObject({
  name: optionalString,
  generateName: optionalString,
  namespace: optionalString,
  uid: optionalString,
  labels: stringMap,
  annotations: stringMap,
  deletionTimestamp: optionalString,
  creationTimestamp: optionalString,
  ownerReferences: z
    .array(
      z.looseObject({
        kind: z.string(),
        name: z.string(),
        uid: optionalString,
        controller: z.boolean().nullish(),
      }),
    )
    .nullish(),
});

const spec = z.looseObject({
  containers: z.array(container).nullish(),
  initContainers: z.array(container).nullish(),
  nodeName: optionalString,
  schedulerName: optionalString,
  schedulingGates: z.array(z.looseObject({ name: z.string() })).nullish(),
  priority: optionalNumber,
  nodeSelector: stringMap,
  affinity,
  tolerations: z.array(toleration).nullish(),
  overhead: quantityMap,
  topologySpreadConstraints: z.array(topologySpreadConstraint).nullish(),
  schedulingGroup: z.looseObject({ podGroupName: optionalString }).nullish(),
});

export const podSchema = z.looseObject({
  metadata: metadata.nullish(),
  spec: spec.nullish(),
  status: z.looseObject({ phase: optionalString }).nullish(),
});

/** Where a pod is malformed: `path` is a JSON path relative to the pod (`spec.containers[0].name`). */
export interface PodShapeIssue {
  readonly path: string;
  readonly message: string;
}

const IDENTIFIER = /^[A-Za-z_$][\w$]*$/;

/** `prefix` + a zod path: `.key` for names, `[key]` for map keys such as `nvidia.com/gpu`, `[i]` for items. */
export function jsonPath(prefix: string, path: readonly PropertyKey[]): string {
  let out = prefix;
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else if (typeof part === 'string' && IDENTIFIER.test(part)) out += out === '' ? part : `.${part}`;
    else out += `[${String(part)}]`;
  }
  return out;
}

const ARTICLE: Readonly<Record<string, string>> = {
  array: 'an array',
  object: 'an object',
  string: 'a string',
  number: 'a number',
  boolean: 'a boolean',
  record: 'an object',
};

function describeIssue(issue: z.core.$ZodIssue): string {
  if (issue.code === 'invalid_type') {
    const expected = ARTICLE[issue.expected] ?? issue.expected;
    return `must be ${expected}`;
  }
  if (issue.code === 'invalid_union') return 'must be a string or a number (a Kubernetes quantity)';
  return issue.message;
}

/** The first malformed field of a pod, or undefined when every field core reads has its JSON type. */
export function podShapeIssue(value: unknown, prefix = ''): PodShapeIssue | undefined {
  const result = podSchema.safeParse(value);
  if (result.success) return undefined;
  const issue = result.error.issues[0];
  if (issue === undefined) return { path: prefix || 'pod', message: 'is not a valid Pod' };
  return { path: jsonPath(prefix, issue.path) || 'pod', message: describeIssue(issue) };
}

/** True when `value` has the shape core reads (see podShapeIssue for why not). */
export function isPodShape(value: unknown): value is PodShape {
  return podShapeIssue(value) === undefined;
}
