// `phalanx reserve`: the program of a GPU reservation pod. The NVIDIA device plugin gave this pod one
// device; find its UUID (NVIDIA_VISIBLE_DEVICES, or the configured `nvidia-smi -L` when the variable
// names none, as with CDI), write it onto this pod as phalanx.dev/gpu-uuid, then hold the device by
// staying alive until terminated. The test bed's device-plugin stand-in calls runReserve in process.
import { execFile } from 'node:child_process';
import { ApiOwnPodAnnotator } from '../kube/reservation-pods.js';
import { createKubeClients, loadKubeConfig } from '../kube/kube-config.js';
import { reportDeviceUuid } from '../app/reservations/report-device.js';

export interface ReserveOptions {
  /** The container's environment: NVIDIA_VISIBLE_DEVICES, PHALANX_POD_NAME, PHALANX_POD_NAMESPACE. */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Kubeconfig file; default in-cluster (the pod's ServiceAccount token). */
  readonly kubeconfig?: string | undefined;
  /** The GPU listing command and its arguments (default `nvidia-smi -L`). */
  readonly listCommand?: readonly string[];
  /** Resolves when the program should exit (SIGTERM). */
  readonly stop: Promise<unknown>;
  readonly log: (line: string) => void;
}

export const DEFAULT_LIST_COMMAND: readonly string[] = ['nvidia-smi', '-L'];

function runList(command: readonly string[]): Promise<string | undefined> {
  const [file, ...args] = command;
  if (file === undefined) return Promise.resolve(undefined);
  return new Promise((resolve) => {
    execFile(file, args, { timeout: 10_000, maxBuffer: 1 << 20 }, (err, stdout) =>
      resolve(err ? undefined : stdout),
    );
  });
}

/** Reports the device and waits for `stop`. Resolves to the exit code: 0, or 1 when nothing could be reported. */
export async function runReserve(o: ReserveOptions): Promise<number> {
  const name = o.env['PHALANX_POD_NAME'];
  const namespace = o.env['PHALANX_POD_NAMESPACE'];
  if (!name || !namespace) {
    o.log('phalanx reserve: PHALANX_POD_NAME and PHALANX_POD_NAMESPACE must name this pod (downward API)');
    return 1;
  }
  const kc = loadKubeConfig({ kubeconfig: o.kubeconfig, inCluster: !!o.env['KUBERNETES_SERVICE_HOST'] });
  const outcome = await reportDeviceUuid({
    visibleDevices: o.env['NVIDIA_VISIBLE_DEVICES'],
    listGpus: () => runList(o.listCommand ?? DEFAULT_LIST_COMMAND),
    annotator: new ApiOwnPodAnnotator(createKubeClients(kc).core),
    pod: { namespace, name },
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  });
  if (!outcome.ok) {
    o.log(`phalanx reserve: ${outcome.reason}`);
    return 1;
  }
  o.log(
    `phalanx reserve: holding ${outcome.uuid} (from ${'source' in outcome ? outcome.source : 'env'}) for ${namespace}/${name}`,
  );
  await o.stop;
  return 0;
}
