// A kubeconfig that authenticates as a ServiceAccount (a TokenRequest token, as a pod would mount),
// against the same API server and CA as the admin kubeconfig: Phalanx runs with exactly the
// permissions deploy/ grants that ServiceAccount.
import { writeFile } from 'node:fs/promises';
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { waitFor } from './wait.js';

export interface ServiceAccountKubeconfigOptions {
  readonly adminKubeconfig: string;
  readonly namespace: string;
  readonly serviceAccount: string;
  /** Where to write the kubeconfig (mode 0600). */
  readonly file: string;
  readonly expirationSeconds?: number;
  /** The API server's URL as this client reaches it (default: the admin kubeconfig's). */
  readonly server?: string;
}

export async function writeServiceAccountKubeconfig(opts: ServiceAccountKubeconfigOptions): Promise<string> {
  const admin = new KubeConfig();
  admin.loadFromFile(opts.adminKubeconfig);
  const core = admin.makeApiClient(CoreV1Api);
  // The ServiceAccount was just applied; the token endpoint answers once it is visible.
  const request = await waitFor(`a token for ${opts.namespace}/${opts.serviceAccount}`, () =>
    core.createNamespacedServiceAccountToken({
      name: opts.serviceAccount,
      namespace: opts.namespace,
      body: { spec: { audiences: [], expirationSeconds: opts.expirationSeconds ?? 4 * 3600 } },
    }),
  );
  const token = request.status?.token;
  if (!token) throw new Error(`TokenRequest for ${opts.namespace}/${opts.serviceAccount} returned no token`);
  const cluster = admin.getCurrentCluster();
  if (!cluster) throw new Error(`${opts.adminKubeconfig} has no current cluster`);
  const user = `system:serviceaccount:${opts.namespace}:${opts.serviceAccount}`;
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ ...cluster, name: 'e2e', ...(opts.server === undefined ? {} : { server: opts.server }) }],
    users: [{ name: user, token }],
    contexts: [{ name: 'e2e', cluster: 'e2e', user }],
    currentContext: 'e2e',
  });
  await writeFile(opts.file, kc.exportConfig(), { mode: 0o600 });
  return user;
}
