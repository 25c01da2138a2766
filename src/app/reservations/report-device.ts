// `phalanx reserve`, the use case: a reservation container finds the GPU the device plugin gave it
// (NVIDIA_VISIBLE_DEVICES, or `nvidia-smi -L` when the variable names no UUID) and writes its UUID
// onto its own pod, where the leader's informer picks it up. Retries the write a few times: the API
// server may be briefly unreachable when the container starts.
import { deviceUuid, readVisibleDevices, type DeviceUuid } from '../../core/devices/device-uuid.js';
import { RESERVATION_UUID_ANNOTATION } from '../../core/devices/reservation-pods.js';
import type { OwnPodAnnotator } from './ports.js';

export interface ReportDeviceDeps {
  /** The container's NVIDIA_VISIBLE_DEVICES. */
  readonly visibleDevices: string | undefined;
  /** Output of `nvidia-smi -L` (or the configured command); undefined when it could not be run. */
  readonly listGpus: () => Promise<string | undefined>;
  readonly annotator: OwnPodAnnotator;
  readonly pod: { readonly namespace: string; readonly name: string };
  readonly sleep: (ms: number) => Promise<void>;
  /** Write attempts before giving up (default 5, backing off 0.5 s, 1 s, 2 s, …). */
  readonly attempts?: number;
}

export type ReportOutcome = DeviceUuid | { readonly ok: false; readonly reason: string };

export async function reportDeviceUuid(deps: ReportDeviceDeps): Promise<ReportOutcome> {
  const needList = readVisibleDevices(deps.visibleDevices).kind === 'ask-nvidia-smi';
  const listing = needList ? await deps.listGpus().catch(() => undefined) : undefined;
  const found = deviceUuid(deps.visibleDevices, listing);
  if (!found.ok) return found;
  const attempts = deps.attempts ?? 5;
  let last = '';
  for (let attempt = 0; attempt < attempts; attempt++) {
    if (attempt > 0) await deps.sleep(500 * 2 ** (attempt - 1));
    try {
      await deps.annotator.annotate(deps.pod.namespace, deps.pod.name, {
        [RESERVATION_UUID_ANNOTATION]: found.uuid,
      });
      return found;
    } catch (err) {
      last = err instanceof Error ? err.message : String(err);
    }
  }
  return { ok: false, reason: `could not annotate pod ${deps.pod.namespace}/${deps.pod.name}: ${last}` };
}
