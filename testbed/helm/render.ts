// Renders the two install paths of deploy/ into objects: `kubectl kustomize` of a kustomization
// directory and `helm template` of the chart deploy/helm/phalanx with given values. The Helm CLI
// comes from scripts/helm-build.sh (built from its Go module into the same cache as the cluster
// binaries), kubectl from scripts/cluster-build.sh.
import { execFile } from 'node:child_process';
import { access } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parseAllDocuments } from 'yaml';
import { binaryPaths, cacheRoot, REPO_ROOT, selectedK8sVersion } from '../versions.js';

const run = promisify(execFile);

/** Kept in step with scripts/helm-build.sh. */
export const HELM_VERSION = '3.22.0';
export const CHART_DIR = join(REPO_ROOT, 'deploy/helm/phalanx');

export type Obj = Record<string, unknown>;
export interface KubeObject extends Obj {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata: { readonly name: string; readonly namespace?: string } & Obj;
}

export function helmPath(env: NodeJS.ProcessEnv = process.env): string {
  return join(cacheRoot(env), 'bin', `helm-v${env['PHALANX_HELM_VERSION'] ?? HELM_VERSION}`, 'helm');
}

/** Which of helm and kubectl are not built yet (empty when both are there). */
export async function missingTools(): Promise<string[]> {
  const tools = { helm: helmPath(), kubectl: binaryPaths(selectedK8sVersion()).kubectl };
  const missing: string[] = [];
  for (const [name, path] of Object.entries(tools)) {
    if (
      !(await access(path).then(
        () => true,
        () => false,
      ))
    )
      missing.push(`${name} (${path})`);
  }
  return missing;
}

export function objectsOf(yamlText: string, source: string): KubeObject[] {
  return parseAllDocuments(yamlText).flatMap((doc): KubeObject[] => {
    if (doc.errors.length > 0) throw new Error(`${source}: ${doc.errors[0]?.message ?? 'bad YAML'}`);
    const value = doc.toJS() as Obj | null;
    return value?.['kind'] === undefined ? [] : [value as KubeObject];
  });
}

/** `kubectl kustomize <dir>` (kubectl's embedded kustomize, as `kubectl apply -k` builds it). */
export async function kustomize(dir: string): Promise<KubeObject[]> {
  const { stdout } = await run(binaryPaths(selectedK8sVersion()).kubectl, ['kustomize', dir], {
    cwd: REPO_ROOT,
    maxBuffer: 16 << 20,
    timeout: 60_000,
  });
  return objectsOf(stdout, `kubectl kustomize ${dir}`);
}

/** `helm template` of the chart; `set` entries are passed as --set-json key=<JSON>. */
export async function helmTemplate(set: Readonly<Record<string, unknown>> = {}): Promise<KubeObject[]> {
  const args = ['template', 'phalanx', CHART_DIR, '--kube-version', selectedK8sVersion()];
  for (const [key, value] of Object.entries(set)) args.push('--set-json', `${key}=${JSON.stringify(value)}`);
  const { stdout } = await run(helmPath(), args, { cwd: REPO_ROOT, maxBuffer: 16 << 20, timeout: 60_000 });
  return objectsOf(stdout, `helm template ${args.slice(4).join(' ')}`);
}

/** Runs the Helm CLI; rejects with its stderr on failure. */
export async function helm(args: readonly string[], timeoutMs = 120_000): Promise<string> {
  const { stdout } = await run(helmPath(), [...args], {
    cwd: REPO_ROOT,
    maxBuffer: 16 << 20,
    timeout: timeoutMs,
  });
  return stdout;
}
