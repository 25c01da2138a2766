// Builds or reuses the cluster binaries by running scripts/cluster-build.sh (which skips what
// the cache already holds), then checks that every binary the harness needs is present.
import { spawn } from 'node:child_process';
import { access, constants } from 'node:fs/promises';
import { join } from 'node:path';
import { binaryPaths, REPO_ROOT, type BinaryPaths } from './versions.js';

/** A cold build takes ~15 min on 2 cores; this bounds a stuck one. */
const BUILD_TIMEOUT_MS = 45 * 60_000;

export async function ensureBinaries(k8sVersion: string): Promise<BinaryPaths> {
  await runBuildScript(k8sVersion);
  const paths = binaryPaths(k8sVersion);
  for (const path of Object.values(paths) as string[]) {
    await access(path, constants.R_OK).catch(() => {
      throw new Error(`cluster-build.sh finished but ${path} is missing`);
    });
  }
  return paths;
}

function runBuildScript(k8sVersion: string): Promise<void> {
  return new Promise((resolvePromise, reject) => {
    // Progress goes to our stderr; stdout stays free for the KUBECONFIG= line of cluster:up.
    const child = spawn('bash', [join(REPO_ROOT, 'scripts/cluster-build.sh')], {
      env: { ...process.env, PHALANX_K8S_VERSION: k8sVersion },
      stdio: ['ignore', process.stderr, process.stderr],
      timeout: BUILD_TIMEOUT_MS,
      killSignal: 'SIGTERM',
    });
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      if (code === 0) resolvePromise();
      else reject(new Error(`cluster-build.sh failed (${signal ?? `exit ${String(code)}`})`));
    });
  });
}
