// Phalanx's identity and permissions exactly as deploy/ ships them (issue 9): the e2e suite applies
// these objects and runs Phalanx with a token of that ServiceAccount, so a missing verb in the
// shipped RBAC fails the suite instead of hiding behind the admin kubeconfig.
import { execFile } from 'node:child_process';
import { access, readdir, readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { promisify } from 'node:util';
import {
  KubeConfig,
  KubernetesObjectApi,
  PatchStrategy,
  type KubernetesObject,
} from '@kubernetes/client-node';
import { parseAllDocuments } from 'yaml';
import { binaryPaths, REPO_ROOT, selectedK8sVersion } from './versions.js';

const run = promisify(execFile);

/** The ServiceAccount the webhook trusts (deploy/webhook/mutating-webhook.yaml names it in CEL). */
export const PHALANX_NAMESPACE = 'phalanx-system';
export const PHALANX_SERVICE_ACCOUNT = 'phalanx';

const DEPLOY_DIR = join(REPO_ROOT, 'deploy');
const BINDING_KINDS = new Set(['RoleBinding', 'ClusterRoleBinding']);

interface Subject {
  kind?: string;
  name?: string;
  namespace?: string;
}
interface DeployObject extends KubernetesObject {
  subjects?: Subject[];
  roleRef?: { kind?: string; name?: string };
}

export const DEPLOY_KUSTOMIZATION = join(DEPLOY_DIR, 'kustomization.yaml');

function objectsIn(yamlText: string): DeployObject[] {
  return parseAllDocuments(yamlText)
    .map((doc) => doc.toJS() as DeployObject | null)
    .filter((o): o is DeployObject => o?.kind !== undefined && o.apiVersion !== undefined);
}

/**
 * What deploy/ ships: the kustomize build of deploy/ (kubectl's embedded kustomize, so namespaces
 * and name prefixes come out as `kubectl apply -k deploy/` would apply them) or, while deploy/ has
 * no kustomization, every object of every YAML file under it (Helm templates excluded).
 */
export async function deployObjects(): Promise<DeployObject[]> {
  const hasKustomization = await access(DEPLOY_KUSTOMIZATION).then(
    () => true,
    () => false,
  );
  if (hasKustomization) {
    const { stdout } = await run(binaryPaths(selectedK8sVersion()).kubectl, ['kustomize', DEPLOY_DIR], {
      maxBuffer: 16 << 20,
      timeout: 60_000,
    });
    return objectsIn(stdout);
  }
  const found: DeployObject[] = [];
  for (const entry of await readdir(DEPLOY_DIR, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile() || !/\.ya?ml$/.test(entry.name)) continue;
    const file = join(entry.parentPath, entry.name);
    if (relative(DEPLOY_DIR, file).split('/').includes('templates')) continue; // Helm, not plain YAML
    found.push(...objectsIn(await readFile(file, 'utf8')));
  }
  return found;
}

function isPhalanxAccount(s: Subject): boolean {
  return (
    s.kind === 'ServiceAccount' && s.name === PHALANX_SERVICE_ACCOUNT && s.namespace === PHALANX_NAMESPACE
  );
}

/**
 * The Namespace, ServiceAccount, bindings naming that ServiceAccount and the roles they reference,
 * in apply order. Throws a message that says what deploy/ lacks when any piece is missing.
 */
export function phalanxRbac(objects: readonly DeployObject[]): DeployObject[] {
  const account = objects.find(
    (o) =>
      o.kind === 'ServiceAccount' &&
      o.metadata?.name === PHALANX_SERVICE_ACCOUNT &&
      o.metadata.namespace === PHALANX_NAMESPACE,
  );
  const bindings = objects.filter(
    (o) => BINDING_KINDS.has(o.kind ?? '') && (o.subjects ?? []).some(isPhalanxAccount),
  );
  if (account === undefined || bindings.length === 0) {
    throw new Error(
      `deploy/ ships no ${account === undefined ? 'ServiceAccount' : 'RoleBinding/ClusterRoleBinding for the ServiceAccount'} ` +
        `${PHALANX_NAMESPACE}/${PHALANX_SERVICE_ACCOUNT} (issue 9): the e2e suite runs Phalanx only under the ` +
        'shipped RBAC, never as cluster admin',
    );
  }
  const roles = bindings.map((b) => {
    const ns = b.kind === 'RoleBinding' ? b.metadata?.namespace : undefined;
    const role = objects.find(
      (o) =>
        o.kind === b.roleRef?.kind &&
        o.metadata?.name === b.roleRef?.name &&
        (ns === undefined || o.metadata?.namespace === ns),
    );
    if (role === undefined) {
      throw new Error(
        `deploy/: ${b.kind ?? ''} ${b.metadata?.name ?? ''} refers to ${b.roleRef?.kind ?? ''} ` +
          `${b.roleRef?.name ?? ''}, which deploy/ does not define`,
      );
    }
    return role;
  });
  const namespace = objects.find((o) => o.kind === 'Namespace' && o.metadata?.name === PHALANX_NAMESPACE);
  const unique = [...new Set([namespace ?? namespaceObject(), account, ...roles, ...bindings])];
  return unique;
}

function namespaceObject(): DeployObject {
  return { apiVersion: 'v1', kind: 'Namespace', metadata: { name: PHALANX_NAMESPACE } };
}

/** Applies deploy/'s Phalanx RBAC to the cluster (server-side apply, as admin). Returns what it applied. */
export async function applyPhalanxRbac(adminKubeconfig: string): Promise<string[]> {
  const objects = phalanxRbac(await deployObjects());
  const kc = new KubeConfig();
  kc.loadFromFile(adminKubeconfig);
  const api = KubernetesObjectApi.makeApiClient(kc);
  const applied: string[] = [];
  for (const object of objects) {
    await api.patch(object, undefined, undefined, 'phalanx-e2e', true, PatchStrategy.ServerSideApply);
    applied.push(`${object.kind ?? ''}/${object.metadata?.name ?? ''}`);
  }
  return applied;
}
