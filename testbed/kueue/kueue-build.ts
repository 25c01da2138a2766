// Kueue's version and where its build lives: the manager binary and the manifests its module ships,
// both produced by build.sh in the shared binary cache (keyed by version, reused once present).
import { spawn } from 'node:child_process';
import { access, constants } from 'node:fs/promises';
import { join } from 'node:path';
import { cacheRoot } from '../versions.js';

export const KUEUE_VERSION = '0.17.0';
/** A cold build takes ~4 min on 2 cores; this bounds a stuck one. */
const BUILD_TIMEOUT_MS = 20 * 60_000;

export interface KueuePaths {
  readonly binary: string;
  /** Every CRD of config/components/crd/bases, as one multi-document file. */
  readonly crds: string;
  /** config/components/webhook/manifests.yaml: the webhook configurations with Service references. */
  readonly webhooks: string;
}

export function kueuePaths(env: NodeJS.ProcessEnv = process.env): KueuePaths {
  const dir = join(cacheRoot(env), 'bin', `kueue-v${KUEUE_VERSION}`);
  return {
    binary: join(dir, 'kueue'),
    crds: join(dir, 'crds.yaml'),
    webhooks: join(dir, 'webhooks.yaml'),
  };
}

/** Builds Kueue unless the cache holds it; progress goes to stderr. */
export async function ensureKueue(): Promise<KueuePaths> {
  await new Promise<void>((resolvePromise, reject) => {
    const child = spawn('bash', [join(import.meta.dirname, 'build.sh')], {
      env: { ...process.env, PHALANX_KUEUE_VERSION: KUEUE_VERSION },
      stdio: ['ignore', process.stderr, process.stderr],
      timeout: BUILD_TIMEOUT_MS,
      killSignal: 'SIGTERM',
    });
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      if (code === 0) resolvePromise();
      else reject(new Error(`kueue build.sh failed (${signal ?? `exit ${String(code)}`})`));
    });
  });
  const paths = kueuePaths();
  for (const path of Object.values(paths) as string[]) {
    await access(path, constants.R_OK).catch(() => {
      throw new Error(`kueue build.sh finished but ${path} is missing`);
    });
  }
  return paths;
}
