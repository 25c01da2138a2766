// Registers deploy/'s webhook configuration with a Phalanx running outside the cluster: every
// webhook's clientConfig becomes `url` (+ the path its Service reference named) with `caBundle`.
// The API server calls URLs directly, so no Service or DNS is needed (protocol.md §5.4).
import { readFile } from 'node:fs/promises';
import {
  KubeConfig,
  KubernetesObjectApi,
  PatchStrategy,
  type KubernetesObject,
} from '@kubernetes/client-node';
import { parseAllDocuments } from 'yaml';

const WEBHOOK_KINDS = new Set(['MutatingWebhookConfiguration', 'ValidatingWebhookConfiguration']);

interface ClientConfig {
  url?: string;
  service?: { path?: string };
  caBundle?: string;
}
interface WebhookConfiguration extends KubernetesObject {
  webhooks?: { clientConfig?: ClientConfig }[];
}

/**
 * Rewrites each webhook's clientConfig to `<url origin><path>` and `caBundle`, where path is the
 * Service reference's path (or the path of `url` when the webhook had none). Pure.
 */
export function pointWebhooksAt(doc: WebhookConfiguration, url: string, caPem: string): WebhookConfiguration {
  const base = new URL(url);
  const caBundle = Buffer.from(caPem, 'utf8').toString('base64');
  return {
    ...doc,
    webhooks: (doc.webhooks ?? []).map((hook) => {
      const path = hook.clientConfig?.service?.path ?? base.pathname;
      return { ...hook, clientConfig: { url: new URL(path, base.origin).toString(), caBundle } };
    }),
  };
}

/**
 * Applies (server-side) every webhook configuration found in `yamlPath`, pointed at `url` with
 * `caPem` as its CA bundle. Returns the names applied.
 */
export async function registerWebhook(
  kubeconfig: string,
  yamlPath: string,
  url: string,
  caPem: string,
): Promise<string[]> {
  const kc = new KubeConfig();
  kc.loadFromFile(kubeconfig);
  const api = KubernetesObjectApi.makeApiClient(kc);
  const docs = parseAllDocuments(await readFile(yamlPath, 'utf8')).map(
    (d) => d.toJS() as WebhookConfiguration | null,
  );
  const configs = docs.filter(
    (d): d is WebhookConfiguration => d !== null && WEBHOOK_KINDS.has(d.kind ?? ''),
  );
  if (configs.length === 0) throw new Error(`${yamlPath} holds no webhook configuration`);
  const applied: string[] = [];
  for (const config of configs) {
    const body = pointWebhooksAt(config, url, caPem);
    await api.patch(
      body,
      undefined,
      undefined,
      'phalanx-cluster-harness',
      true,
      PatchStrategy.ServerSideApply,
    );
    applied.push(`${body.kind ?? ''}/${body.metadata?.name ?? ''}`);
  }
  return applied;
}
