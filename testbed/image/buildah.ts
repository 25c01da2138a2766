// The image scripts/image-build.sh exports (an OCI archive in the cache), opened with buildah in the
// same storage the script builds in (vfs, outside the work tree): a working container made from the
// archive itself, its image configuration, its root filesystem, and the command line that runs the
// image's own entrypoint in it (chroot isolation, host network: it reaches the local cluster on
// loopback). Docker/Podman engines are not used here: this is the daemonless path CI runs.
import { execFile } from 'node:child_process';
import { access, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { cacheRoot, REPO_ROOT } from '../versions.js';

const run = promisify(execFile);

export const IMAGE_CACHE = join(cacheRoot(), 'image');
/** Kept in step with scripts/image-build.sh. */
export const BUILDAH_STORAGE = [
  '--storage-driver',
  'vfs',
  '--root',
  join(IMAGE_CACHE, 'storage'),
  '--runroot',
  join(IMAGE_CACHE, 'run'),
];

export async function packageVersion(): Promise<string> {
  const pkg = JSON.parse(await readFile(join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string };
  return pkg.version;
}

export async function imageArchive(): Promise<string> {
  return (
    process.env['PHALANX_IMAGE_ARCHIVE'] ?? join(IMAGE_CACHE, `phalanx-${await packageVersion()}.oci.tar`)
  );
}

/** Why the image cannot be run here, or undefined when it can. */
export async function imageUnavailable(): Promise<string | undefined> {
  const archive = await imageArchive();
  const buildah = await run('buildah', ['--version']).then(
    () => true,
    () => false,
  );
  if (!buildah) return 'buildah is not installed (scripts/image-build.sh installs it)';
  const built = await access(archive).then(
    () => true,
    () => false,
  );
  if (!built) return `no image archive at ${archive} (./run image:build)`;
  if (process.getuid?.() !== 0) return 'buildah chroot isolation needs root';
  return undefined;
}

export async function buildah(args: readonly string[], timeoutMs = 300_000): Promise<string> {
  const { stdout } = await run('buildah', [...BUILDAH_STORAGE, ...args], {
    maxBuffer: 64 << 20,
    timeout: timeoutMs,
  });
  return stdout.trim();
}

/** The parts of the OCI image configuration a runtime uses. */
export interface ImageConfig {
  readonly user: string;
  readonly entrypoint: readonly string[];
  readonly cmd: readonly string[];
  readonly workingDir: string;
  readonly env: readonly string[];
}

export interface ImageContainer {
  readonly name: string;
  readonly config: ImageConfig;
  /** The container's root filesystem on this machine (buildah mount). */
  readonly rootfs: string;
  /** The image's size as buildah reports it, e.g. "312 MB". */
  readonly imageSize: string;
  /** The command line that runs the image's entrypoint with `args` in place of its CMD. */
  commandLine(args: readonly string[], mounts: readonly string[]): string[];
  remove(): Promise<void>;
}

interface InspectedContainer {
  readonly OCIv1?: {
    readonly config?: {
      User?: string;
      Entrypoint?: string[];
      Cmd?: string[];
      WorkingDir?: string;
      Env?: string[];
    };
  };
  readonly FromImageID?: string;
}

/** A working container from the exported archive (not the build's tag: what ships is what runs). */
export async function containerFromArchive(name: string): Promise<ImageContainer> {
  await buildah(['rm', name]).catch(() => undefined); // left over from an interrupted run
  // From the archive transport: its layers are copied into the storage, no registry involved.
  await buildah(['from', '--quiet', '--name', name, `oci-archive:${await imageArchive()}`]);
  const inspected = JSON.parse(await buildah(['inspect', '--type', 'container', name])) as InspectedContainer;
  const c = inspected.OCIv1?.config ?? {};
  const config: ImageConfig = {
    user: c.User ?? '',
    entrypoint: c.Entrypoint ?? [],
    cmd: c.Cmd ?? [],
    workingDir: c.WorkingDir ?? '/',
    env: c.Env ?? [],
  };
  const rootfs = await buildah(['mount', name]);
  const imageSize = await buildah(['images', '--format', '{{.ID}} {{.Size}}']).then(
    (out) =>
      out
        .split('\n')
        .find((line) => inspected.FromImageID?.startsWith(line.split(' ')[0] ?? '-') === true)
        ?.split(' ')
        .slice(1)
        .join(' ')
        .trim() ?? 'unknown',
  );
  return {
    name,
    config,
    rootfs,
    imageSize,
    commandLine: (args, mounts) => [
      'buildah',
      ...BUILDAH_STORAGE,
      'run',
      '--isolation',
      'chroot',
      '--user',
      config.user,
      ...mounts.flatMap((m) => ['--volume', m]),
      name,
      '--',
      ...config.entrypoint,
      ...args,
    ],
    remove: async () => {
      await buildah(['umount', name]).catch(() => undefined);
      await buildah(['rm', name]);
    },
  };
}
