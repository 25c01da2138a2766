// Which physical GPU a reservation container was given, from what the NVIDIA device plugin and the
// container toolkit put into it: NVIDIA_VISIBLE_DEVICES (the device plugin's default `envvar`
// strategy with `deviceIDStrategy: uuid` sets it to the device's UUID), or — when devices are
// injected through CDI or volume mounts and the variable says nothing useful — the list
// `nvidia-smi -L` prints inside the container. Pure: the caller reads the environment and runs the
// command.

/** A GPU UUID as NVML reports it (`GPU-…`), or a MIG device's (`MIG-…`); bounded and annotation-safe. */
const UUID = /^(?:GPU|MIG)-[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

export function isGpuUuid(value: string): boolean {
  return UUID.test(value);
}

export type VisibleDevices =
  | { readonly kind: 'uuid'; readonly uuid: string }
  /** Nothing usable in the variable: ask `nvidia-smi -L` (CDI, volume-mount strategy, index IDs). */
  | { readonly kind: 'ask-nvidia-smi'; readonly reason: string }
  /** The variable names several devices: a reservation holds exactly one, so this is a setup error. */
  | { readonly kind: 'refused'; readonly reason: string };

/**
 * Reads NVIDIA_VISIBLE_DEVICES of a reservation container. Unset, empty, `void`, `none` and `all`
 * say nothing about which device was given; an index (`deviceIDStrategy: index`) cannot be mapped
 * without NVML either; several entries mean the pod got more than the one device it asked for.
 */
export function readVisibleDevices(value: string | undefined): VisibleDevices {
  const entries = (value ?? '')
    .split(',')
    .map((e) => e.trim())
    .filter((e) => e !== '');
  if (entries.length === 0)
    return { kind: 'ask-nvidia-smi', reason: 'NVIDIA_VISIBLE_DEVICES is unset or empty' };
  if (entries.length > 1) {
    return {
      kind: 'refused',
      reason: `NVIDIA_VISIBLE_DEVICES names ${entries.length} devices (${entries.join(',').slice(0, 200)}); a reservation holds exactly one`,
    };
  }
  const [entry = ''] = entries;
  if (isGpuUuid(entry)) return { kind: 'uuid', uuid: entry };
  return {
    kind: 'ask-nvidia-smi',
    reason: `NVIDIA_VISIBLE_DEVICES is ${JSON.stringify(entry.slice(0, 64))}, not a device UUID`,
  };
}

/** `GPU 0: NVIDIA H100 80GB HBM3 (UUID: GPU-5b4a…)`; MIG lines are indented and start with "MIG". */
const SMI_GPU_LINE = /^GPU\s+\d+:.*\(UUID:\s*(GPU-[^)\s]+)\)\s*$/;

/** The GPU UUIDs `nvidia-smi -L` lists (whole GPUs only, in its order); malformed lines are skipped. */
export function uuidsFromNvidiaSmiList(output: string): string[] {
  const found: string[] = [];
  for (const line of output.split('\n')) {
    const match = SMI_GPU_LINE.exec(line.trim());
    const uuid = match?.[1];
    if (uuid !== undefined && isGpuUuid(uuid) && !found.includes(uuid)) found.push(uuid);
  }
  return found;
}

export type DeviceUuid =
  | { readonly ok: true; readonly uuid: string; readonly source: 'env' | 'nvidia-smi' }
  | { readonly ok: false; readonly reason: string };

/**
 * The UUID a reservation container holds: from the variable when it names one, else from the
 * `nvidia-smi -L` listing (`undefined`: the command could not be run), which must list exactly one GPU.
 */
export function deviceUuid(visibleDevices: string | undefined, nvidiaSmiList?: string): DeviceUuid {
  const fromEnv = readVisibleDevices(visibleDevices);
  if (fromEnv.kind === 'uuid') return { ok: true, uuid: fromEnv.uuid, source: 'env' };
  if (fromEnv.kind === 'refused') return { ok: false, reason: fromEnv.reason };
  if (nvidiaSmiList === undefined)
    return { ok: false, reason: `${fromEnv.reason}, and nvidia-smi -L gave nothing` };
  const listed = uuidsFromNvidiaSmiList(nvidiaSmiList);
  if (listed.length === 1 && listed[0] !== undefined)
    return { ok: true, uuid: listed[0], source: 'nvidia-smi' };
  return {
    ok: false,
    reason: `${fromEnv.reason}, and nvidia-smi -L lists ${listed.length} GPUs (${listed.join(',').slice(0, 200)}); a reservation holds exactly one`,
  };
}
