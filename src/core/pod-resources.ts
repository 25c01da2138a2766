// A pod's effective amount of one resource, computed the way kube-scheduler does (k8s resourcehelper):
// app containers are summed; init containers run one at a time, so they count by their peak;
// sidecars (init containers with restartPolicy Always) keep running, so they add to everything after them.
import { DemandError, QuantityError, Rule } from './errors.js';
import type { ContainerShape, PodShape, QuantityMap } from './kube-shapes.js';

/** Reads one container's amount (0 when it asks for none); `path` is e.g. "spec.containers[1]". */
export type ContainerAmount = (container: ContainerShape, path: string) => number;

export function effectivePodAmount(pod: PodShape, amountOf: ContainerAmount): number {
  const spec = pod.spec;
  let appContainers = 0;
  (spec?.containers ?? []).forEach((c, i) => {
    appContainers += amountOf(c, `spec.containers[${i}]`);
  });
  let sidecars = 0;
  let initPeak = 0;
  (spec?.initContainers ?? []).forEach((c, i) => {
    const own = amountOf(c, `spec.initContainers[${i}]`);
    if (c.restartPolicy === 'Always') {
      sidecars += own;
      initPeak = Math.max(initPeak, sidecars);
    } else {
      initPeak = Math.max(initPeak, own + sidecars);
    }
  });
  return Math.max(appContainers + sidecars, initPeak);
}

/** Runs a quantity parse and reports its failure as a DemandError on the same field. */
export function asDemand<T>(field: string, parse: () => T): T {
  try {
    return parse();
  } catch (error) {
    if (error instanceof QuantityError)
      throw new DemandError(field, error.rule, error.message, { cause: error });
    throw error;
  }
}

function entry(map: QuantityMap | undefined, resource: string): string | number | undefined {
  return map?.[resource];
}

/**
 * Extended resources (nvidia.com/gpu, phalanx.dev/gpu-milli) are counted by their limit, or by the
 * request when no limit is set; Kubernetes requires the two to be equal when both are given.
 */
export function extendedResourceAmount(
  resource: string,
  parse: (value: string | number, field: string) => number,
): ContainerAmount {
  return (container, path) => {
    const limitField = `${path}.resources.limits[${resource}]`;
    const requestField = `${path}.resources.requests[${resource}]`;
    const limitValue = entry(container.resources?.limits, resource);
    const requestValue = entry(container.resources?.requests, resource);
    const limit =
      limitValue === undefined ? undefined : asDemand(limitField, () => parse(limitValue, limitField));
    const request =
      requestValue === undefined
        ? undefined
        : asDemand(requestField, () => parse(requestValue, requestField));
    if (limit !== undefined && request !== undefined && limit !== request) {
      throw new DemandError(
        limitField,
        Rule.conflict,
        `${limitField}: limit ${JSON.stringify(String(limitValue))} differs from request ` +
          `${JSON.stringify(String(requestValue))}; ${resource} cannot be overcommitted, so they must be equal`,
      );
    }
    return limit ?? request ?? 0;
  };
}

/** Host resources (cpu, memory) are counted by their request; an unset request defaults to the limit. */
export function requestAmount(
  resource: string,
  parse: (value: string | number, field: string) => number,
): ContainerAmount {
  return (container, path) => {
    const requestValue = entry(container.resources?.requests, resource);
    const value = requestValue ?? entry(container.resources?.limits, resource);
    if (value === undefined) return 0;
    const field = `${path}.resources.${requestValue === undefined ? 'limits' : 'requests'}[${resource}]`;
    return asDemand(field, () => parse(value, field));
  };
}
