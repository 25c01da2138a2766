// The shipped MutatingWebhookConfiguration says what the code expects: names, path, operations.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { MUTATE_PODS_PATH } from '../../src/webhook/routes.js';
import { WEBHOOK_NAMES } from '../../src/webhook/webhook-server.js';

interface Webhook {
  name: string;
  admissionReviewVersions: string[];
  sideEffects: string;
  failurePolicy: string;
  timeoutSeconds: number;
  clientConfig: { service: { namespace: string; name: string; path: string }; caBundle: string };
  rules: { operations: string[]; apiGroups: string[]; resources: string[] }[];
  namespaceSelector: { matchExpressions: { key: string; operator: string; values: string[] }[] };
  matchConditions: { name: string; expression: string }[];
}

const text = readFileSync(join(import.meta.dirname, '../../deploy/webhook/mutating-webhook.yaml'), 'utf8');
const config = parse(text) as { apiVersion: string; kind: string; webhooks: Webhook[] };

describe('deploy/webhook/mutating-webhook.yaml', () => {
  it('is a v1 MutatingWebhookConfiguration with the webhooks the caBundle patch addresses', () => {
    expect(config.apiVersion).toBe('admissionregistration.k8s.io/v1');
    expect(config.kind).toBe('MutatingWebhookConfiguration');
    expect(config.webhooks.map((w) => w.name)).toEqual([WEBHOOK_NAMES.pods, WEBHOOK_NAMES.decisions]);
  });

  it.each(config.webhooks.map((w) => [w.name, w] as const))(
    '%s: v1, no side effects, short timeout, Fail',
    (_n, w) => {
      expect(w.admissionReviewVersions).toEqual(['v1']);
      expect(w.sideEffects).toBe('None');
      expect(w.failurePolicy).toBe('Fail');
      expect(w.timeoutSeconds).toBe(5);
      expect(w.clientConfig.service).toEqual({
        namespace: 'phalanx-system',
        name: 'phalanx-webhook',
        path: MUTATE_PODS_PATH,
        port: 443,
      });
      expect(w.clientConfig.caBundle).toBe('CA_BUNDLE_BASE64');
      expect(w.namespaceSelector.matchExpressions).toEqual([
        {
          key: 'kubernetes.io/metadata.name',
          operator: 'NotIn',
          values: ['kube-system', 'phalanx-system', 'phalanx-reservations'],
        },
      ]);
    },
  );

  it('mutates pods on CREATE only; decision annotations are guarded on UPDATE only', () => {
    const [pods, decisions] = config.webhooks;
    expect(pods?.rules).toEqual([
      {
        operations: ['CREATE'],
        apiGroups: [''],
        apiVersions: ['v1'],
        resources: ['pods'],
        scope: 'Namespaced',
      },
    ]);
    expect(decisions?.rules).toEqual([
      {
        operations: ['UPDATE'],
        apiGroups: [''],
        apiVersions: ['v1'],
        resources: ['pods'],
        scope: 'Namespaced',
      },
    ]);
  });

  it('sends pods naming an upstream Workload API PodGroup, GPU or not (the whole group must be routed)', () => {
    const [pods] = config.webhooks;
    const expression = pods?.matchConditions.map((c) => c.expression).join('\n') ?? '';
    expect(expression).toContain(
      '(has(object.spec.schedulingGroup) && has(object.spec.schedulingGroup.podGroupName))',
    );
  });

  it('documents the failurePolicy trade-off', () => {
    expect(text).toMatch(/failurePolicy: Fail, on purpose/);
    expect(text).toMatch(/Switch to Ignore only if/);
  });
});
