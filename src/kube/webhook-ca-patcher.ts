// Publishes the self-managed CA (webhook/tls.ts) in the MutatingWebhookConfiguration so the apiserver
// trusts the webhook's serving certificate. Every webhook of the configuration gets the bundle, by
// a strategic-merge patch keyed on webhook name (admissionregistration/v1 merges `webhooks` on
// `name`), so nothing else in the configuration is touched. At start the configuration may not be
// applied yet or the apiserver may be briefly unreachable: failures are retried with backoff.
import { PatchStrategy, setHeaderOptions, type AdmissionregistrationV1Api } from '@kubernetes/client-node';
import { describeError, withTimeout } from './api-errors.js';
import { retryWithBackoff } from './retry.js';
import type { KubeLogger } from './kube-logger.js';

export type WebhookConfigurationApi = Pick<
  AdmissionregistrationV1Api,
  'readMutatingWebhookConfiguration' | 'patchMutatingWebhookConfiguration'
>;

export interface CaPatchOptions {
  /** metadata.name of the MutatingWebhookConfiguration. */
  readonly configurationName: string;
  /** PEM of the CA that signs the serving certificate. */
  readonly caPem: string;
  readonly attempts?: number;
  readonly initialDelayMs?: number;
  readonly maxDelayMs?: number;
  readonly requestTimeoutMs?: number;
  /** Injected for tests. */
  readonly sleep?: (ms: number) => Promise<void>;
}

export interface CaPatchResult {
  /** Names of the webhooks whose caBundle was written (empty when all already carried it). */
  readonly patched: readonly string[];
  readonly attempts: number;
}

/** Resolves once every webhook of the configuration carries the CA; rejects after the last attempt. */
export async function patchWebhookCaBundle(
  api: WebhookConfigurationApi,
  logger: KubeLogger,
  opts: CaPatchOptions,
): Promise<CaPatchResult> {
  const log = logger.child({ webhookConfiguration: opts.configurationName });
  const attempts = opts.attempts ?? 8;
  const result = await retryWithBackoff(() => patchOnce(api, opts), {
    attempts,
    initialDelayMs: opts.initialDelayMs ?? 250,
    maxDelayMs: opts.maxDelayMs ?? 8_000,
    ...(opts.sleep ? { sleep: opts.sleep } : {}),
    onFailure: (err, attempt) => {
      if (attempt < attempts) {
        log.warn({ err: describeError(err), attempt }, 'webhook caBundle patch failed; retrying');
      }
      return undefined;
    },
  });
  if (!result.ok) {
    const err = 'error' in result ? result.error : new Error('caBundle patch abandoned');
    log.error(
      { err: describeError(err), attempt: result.attempts },
      'webhook caBundle could not be patched; giving up',
    );
    throw err;
  }
  log.info(
    { webhooks: result.value, attempt: result.attempts },
    result.value.length > 0 ? 'webhook caBundle patched' : 'webhook caBundle already current',
  );
  return { patched: result.value, attempts: result.attempts };
}

async function patchOnce(api: WebhookConfigurationApi, opts: CaPatchOptions): Promise<string[]> {
  const name = opts.configurationName;
  const timeoutMs = opts.requestTimeoutMs ?? 5_000;
  const current = await withTimeout(
    api.readMutatingWebhookConfiguration({ name }),
    timeoutMs,
    `read mutatingwebhookconfiguration ${name}`,
  );
  const webhooks = current.webhooks ?? [];
  if (webhooks.length === 0) throw new Error(`mutatingwebhookconfiguration ${name} has no webhooks`);
  const bundle = caBundleOf(opts.caPem);
  const stale = webhooks.filter((w) => w.clientConfig.caBundle !== bundle).map((w) => w.name);
  if (stale.length === 0) return [];
  const strategic = setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch);
  await withTimeout(
    api.patchMutatingWebhookConfiguration({ name, body: caBundleMergePatch(opts.caPem, stale) }, strategic),
    timeoutMs,
    `patch mutatingwebhookconfiguration ${name}`,
  );
  return stale;
}

/** A webhook configuration's clientConfig.caBundle: base64 of the PEM bundle. */
export function caBundleOf(caPem: string): string {
  return Buffer.from(caPem).toString('base64');
}

/**
 * Strategic-merge patch (webhooks merge on `name`) that sets caBundle on the named webhooks of a
 * MutatingWebhookConfiguration, leaving every other field alone.
 */
export function caBundleMergePatch(
  caPem: string,
  webhookNames: readonly string[],
): {
  webhooks: { name: string; clientConfig: { caBundle: string } }[];
} {
  const caBundle = caBundleOf(caPem);
  return { webhooks: webhookNames.map((name) => ({ name, clientConfig: { caBundle } })) };
}
