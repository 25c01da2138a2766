// A container's environment as the kubelet builds it at container start (pkg/kubelet
// kubelet_pods.go makeEnvironmentVariables), from the bound pod and the objects it references:
// `envFrom` first (ConfigMaps and Secrets, with their prefix), then `env` in order (a later entry of
// the same name wins), each `value` with `$(VAR)` references to variables defined before it
// expanded (`$$` escapes a dollar, unknown references stay as written), `valueFrom.fieldRef` from
// the pod (a missing annotation or label resolves to ""), ConfigMap and Secret keys. KWOK starts no
// containers, so the e2e suite resolves what a container would see with this.
import type { V1Container, V1Pod } from '@kubernetes/client-node';

export interface EnvSources {
  configMap(namespace: string, name: string): Promise<Record<string, string> | undefined>;
  secret(namespace: string, name: string): Promise<Record<string, string> | undefined>;
}

const NO_SOURCES: EnvSources = {
  configMap: () => Promise.resolve(undefined),
  secret: () => Promise.resolve(undefined),
};

/** `metadata.annotations['key']` / `metadata.labels['key']`. */
const SUBSCRIPT = /^metadata\.(annotations|labels)\['(.*)'\]$/;

/** The downward API fields the kubelet resolves for env (pkg/fieldpath ExtractFieldPathAsString + pod status). */
export function fieldRefValue(pod: V1Pod, fieldPath: string): string {
  const sub = SUBSCRIPT.exec(fieldPath);
  if (sub) {
    const map = sub[1] === 'annotations' ? pod.metadata?.annotations : pod.metadata?.labels;
    return map?.[sub[2] ?? ''] ?? '';
  }
  switch (fieldPath) {
    case 'metadata.name':
      return pod.metadata?.name ?? '';
    case 'metadata.namespace':
      return pod.metadata?.namespace ?? '';
    case 'metadata.uid':
      return pod.metadata?.uid ?? '';
    case 'spec.nodeName':
      return pod.spec?.nodeName ?? '';
    case 'spec.serviceAccountName':
      return pod.spec?.serviceAccountName ?? '';
    case 'status.hostIP':
      return pod.status?.hostIP ?? '';
    case 'status.podIP':
      return pod.status?.podIP ?? '';
    default:
      throw new Error(`fieldRef ${fieldPath}: not resolved by this stand-in`);
  }
}

/** Kubernetes' expansion (third_party/forked/golang/expansion): $(VAR) from `defined`, $$ → $. */
export function expand(value: string, defined: Readonly<Record<string, string>>): string {
  let out = '';
  for (let i = 0; i < value.length; i++) {
    const c = value[i];
    if (c !== '$' || i + 1 >= value.length) {
      out += c;
      continue;
    }
    const next = value[i + 1];
    if (next === '$') {
      out += '$';
      i++;
    } else if (next === '(') {
      const close = value.indexOf(')', i + 2);
      if (close === -1) {
        out += value.slice(i);
        break;
      }
      const name = value.slice(i + 2, close);
      out += Object.hasOwn(defined, name) ? defined[name] : `$(${name})`;
      i = close;
    } else {
      out += c;
    }
  }
  return out;
}

function decode(data: Record<string, string> | undefined): Record<string, string> | undefined {
  if (data === undefined) return undefined;
  return Object.fromEntries(
    Object.entries(data).map(([k, v]) => [k, Buffer.from(v, 'base64').toString('utf8')]),
  );
}

export async function containerEnv(
  pod: V1Pod,
  container: V1Container,
  sources: EnvSources = NO_SOURCES,
): Promise<Record<string, string>> {
  const namespace = pod.metadata?.namespace ?? 'default';
  const env: Record<string, string> = {};
  for (const from of container.envFrom ?? []) {
    const ref = from.configMapRef ?? from.secretRef;
    if (!ref?.name) continue;
    const data = from.configMapRef
      ? await sources.configMap(namespace, ref.name)
      : decode(await sources.secret(namespace, ref.name));
    if (data === undefined) {
      if (ref.optional === true) continue;
      throw new Error(`envFrom ${ref.name}: not found (the kubelet would not start the container)`);
    }
    for (const [k, v] of Object.entries(data)) env[`${from.prefix ?? ''}${k}`] = v;
  }
  for (const entry of container.env ?? []) {
    if (entry.valueFrom === undefined) {
      env[entry.name] = expand(entry.value ?? '', env);
      continue;
    }
    const { fieldRef, configMapKeyRef, secretKeyRef } = entry.valueFrom;
    if (fieldRef) env[entry.name] = fieldRefValue(pod, fieldRef.fieldPath);
    else if (configMapKeyRef || secretKeyRef) {
      const ref = (configMapKeyRef ?? secretKeyRef)!;
      const data = configMapKeyRef
        ? await sources.configMap(namespace, ref.name ?? '')
        : decode(await sources.secret(namespace, ref.name ?? ''));
      const value = data?.[ref.key];
      if (value === undefined) {
        if (ref.optional === true) continue;
        throw new Error(`env ${entry.name}: ${ref.name ?? ''}/${ref.key} not found`);
      }
      env[entry.name] = value;
    } else {
      throw new Error(`env ${entry.name}: valueFrom kind not resolved by this stand-in`);
    }
  }
  return env;
}
