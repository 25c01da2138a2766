// Issue 21: the image built from the Dockerfile (scripts/image-build.sh, exported as an OCI archive)
// runs Phalanx against the local cluster. A container made from the archive runs the image's own
// entrypoint as the image's user (buildah run, chroot isolation, host network) with a token of the
// shipped ServiceAccount; fractional pods and a gang are placed through it, /readyz answers, and the
// run writes nothing into the image's filesystem (as readOnlyRootFilesystem requires). Also checks
// what the runtime image holds. Skipped, saying why, where buildah or the archive is missing
// (.ci/run builds the archive before the e2e suite).
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, join, relative } from 'node:path';
import { PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SERVE_NODE_OPTIONS } from '../../src/cli/gc-tuning.js';
import { imageArchive, imageUnavailable } from '../../testbed/image/buildah.js';
import { startImageE2E, type ImageE2E } from '../../testbed/image/image-environment.js';
import { log, stopE2E } from '../../testbed/environment.js';
import { CLIQUE_LABEL, nodeLabels } from '../../testbed/gang-checks.js';
import { GPU_DEVICES, isBound, isRunning, parseGpuDevices } from '../../testbed/observe.js';
import { selectedK8sVersion } from '../../testbed/versions.js';
import { waitFor } from '../../testbed/wait.js';
import { annotatedPod, indexedJob } from '../../testbed/workloads.js';

const CLUSTER = 'phalanx-e2e-image';
const NS = 'image';
const unavailable = await imageUnavailable();
const env = {} as ImageE2E;
let started = false;

/** Every file under a directory, as paths relative to it (symlinks not followed). */
function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => !e.isDirectory())
    .map((e) => relative(dir, join(e.parentPath, e.name)));
}

describe.skipIf(unavailable !== undefined)(
  `the image runs Phalanx against the local cluster (Kubernetes v${selectedK8sVersion()})${unavailable === undefined ? '' : ` — skipped: ${unavailable}`}`,
  () => {
    beforeAll(async () => {
      Object.assign(env, await startImageE2E(CLUSTER));
      started = true;
      await env.core.createNamespace({ body: { metadata: { name: NS } } });
      await waitFor(`default ServiceAccount in ${NS}`, () =>
        env.core.readNamespacedServiceAccount({ name: 'default', namespace: NS }),
      );
      log(
        `image: ${await imageArchive()} (${(statSync(await imageArchive()).size / 2 ** 20).toFixed(0)} MiB archive, ${env.container.imageSize} in storage)`,
      );
    });
    afterAll(async () => {
      if (started) {
        log(
          `${CLUSTER}: Phalanx (image) log tail:\n${readFileSync(env.logFile, 'utf8').trimEnd().split('\n').slice(-10).join('\n')}`,
        );
        await env.stop();
        await env.container.remove();
      }
      await stopE2E(CLUSTER); // keeps the logs in .cluster/e2e-logs/
    });

    it("runs the image's entrypoint as its non-root user and answers /readyz", async () => {
      expect(env.container.config.user).toBe('1000:1000');
      expect(env.container.config.entrypoint).toEqual([
        'node',
        '--enable-source-maps',
        ...SERVE_NODE_OPTIONS,
        'dist/cli/main.js',
      ]);
      expect((await fetch(`${env.adminUrl}/readyz`)).status).toBe(200);
      // The process serving it: the image's node, started with this configuration, as uid/gid 1000.
      const serving = readdirSync('/proc')
        .filter((p) => /^\d+$/.test(p))
        .filter((pid) => {
          const cmdline = (() => {
            try {
              return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
            } catch {
              return [];
            }
          })();
          return basename(cmdline[0] ?? '') === 'node' && cmdline.includes(env.configFile);
        });
      expect(serving).toHaveLength(1);
      const status = readFileSync(`/proc/${serving[0]!}/status`, 'utf8');
      expect(status).toMatch(/^Uid:\s+1000\s+1000\s+1000\s+1000$/m);
      expect(status).toMatch(/^Gid:\s+1000\s+1000\s+1000\s+1000$/m);
      const root = readFileSync(`/proc/${serving[0]!}/root/app/package.json`, 'utf8');
      expect(JSON.parse(root)).toMatchObject({ name: 'phalanx' });
    });

    it('places two half-GPU pods on one device and a 4-pod gang inside one NVLink clique', async () => {
      // One clique cordoned: the gang must still find a whole clique among the others.
      const labels = await nodeLabels(env.core);
      const cordoned = [...labels.keys()].sort()[0]!;
      await env.core.patchNode(
        { name: cordoned, body: { spec: { unschedulable: true } } },
        setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
      );
      for (const name of ['half-a', 'half-b']) {
        await env.core.createNamespacedPod({
          namespace: NS,
          body: annotatedPod(name, NS, { 'phalanx.dev/gpu-fraction': '0.5' }),
        });
      }
      await env.core.createNamespacedPod({ namespace: NS, body: annotatedPod('cpu-only', NS, {}) });
      await env.batch.createNamespacedJob({ namespace: NS, body: indexedJob('gang', NS, 4, 4) });
      const running = await waitFor(
        'the half-GPU pods, the CPU-only pod and the gang placed',
        async () => {
          const pods = (await env.core.listNamespacedPod({ namespace: NS })).items;
          // KWOK completes Job pods once they run: bound and Running or Succeeded is placed.
          const placed = (p: (typeof pods)[number]) => isRunning(p) || p.status?.phase === 'Succeeded';
          return pods.length === 7 && pods.every((p) => placed(p) && isBound(p)) ? pods : undefined;
        },
        {
          timeoutMs: 180_000,
          intervalMs: 1000,
          describe: async () =>
            (await env.core.listNamespacedPod({ namespace: NS })).items
              .map(
                (p) =>
                  `${p.metadata?.name ?? ''} ${p.status?.phase ?? ''} ${p.spec?.nodeName ?? '-'} ${p.spec?.schedulerName ?? ''} ${p.status?.conditions?.map((c) => c.message ?? '').join(' ') ?? ''}`,
              )
              .join('; '),
        },
      );
      const byName = new Map(running.map((p) => [p.metadata?.name ?? '', p]));
      const halves = ['half-a', 'half-b'].map((n) => byName.get(n)!);
      const devices = halves.map((p) => parseGpuDevices(p.metadata?.annotations?.[GPU_DEVICES] ?? ''));
      expect(devices.every((d) => d.length === 1 && d[0]!.milli === 500)).toBe(true);
      // Packed: both halves on one device of one node.
      expect(halves[0]!.spec?.nodeName).toBe(halves[1]!.spec?.nodeName);
      expect(devices[0]![0]!.index).toBe(devices[1]![0]!.index);
      expect(byName.get('cpu-only')!.spec?.schedulerName).toBe('default-scheduler');
      const gang = running.filter((p) => p.metadata?.labels?.['batch.kubernetes.io/job-name'] === 'gang');
      expect(gang).toHaveLength(4);
      const cliques = new Set(gang.map((p) => labels.get(p.spec?.nodeName ?? '')?.[CLIQUE_LABEL]));
      expect(cliques.size).toBe(1);
      expect([...cliques][0]).toBeDefined();
      expect(gang.every((p) => p.spec?.nodeName !== cordoned)).toBe(true);
    });

    it('writes nothing into the image filesystem while it serves (read-only root holds)', () => {
      // Outside /tmp (an emptyDir in the shipped Deployment) and the files buildah itself provides.
      const provided = new Set(['etc/hosts', 'etc/resolv.conf', 'etc/hostname', 'run/.containerenv']);
      const written = filesUnder(env.container.rootfs).filter((path) => {
        if (
          path.startsWith('tmp/') ||
          path.startsWith('proc/') ||
          path.startsWith('dev/') ||
          path.startsWith('sys/')
        )
          return false;
        if (provided.has(path)) return false;
        try {
          return statSync(join(env.container.rootfs, path)).mtimeMs >= env.startedAt;
        } catch {
          return false;
        }
      });
      expect(written).toEqual([]);
    });

    it('holds production dependencies only: no devDependencies, npm cache, sources, tests or benchmarks', () => {
      const app = join(env.container.rootfs, 'app');
      const pkg = JSON.parse(readFileSync(join(app, 'package.json'), 'utf8')) as {
        dependencies: Record<string, string>;
        devDependencies: Record<string, string>;
      };
      const installed = readdirSync(join(app, 'node_modules')).flatMap((name) =>
        name.startsWith('@')
          ? readdirSync(join(app, 'node_modules', name)).map((sub) => `${name}/${sub}`)
          : [name],
      );
      // npm marks what only devDependencies need `dev: true` in the lockfile.
      const lock = JSON.parse(readFileSync(join(app, 'package-lock.json'), 'utf8')) as {
        packages: Record<string, { dev?: boolean }>;
      };
      const devOnly = Object.entries(lock.packages)
        .filter(([path, entry]) => entry.dev === true && path.startsWith('node_modules/'))
        .map(([path]) => path);
      expect(devOnly.length).toBeGreaterThan(50); // typescript, vitest, eslint and theirs
      expect(devOnly.filter((path) => existsSync(join(app, path)))).toEqual([]);
      for (const dev of Object.keys(pkg.devDependencies)) {
        if (lock.packages[`node_modules/${dev}`]?.dev === true) expect(installed, dev).not.toContain(dev);
      }
      for (const dep of Object.keys(pkg.dependencies)) expect(installed, dep).toContain(dep);
      for (const cache of ['root/.npm', 'home/node/.npm', 'app/.npm']) {
        expect(existsSync(join(env.container.rootfs, cache)), cache).toBe(false);
      }
      expect(readdirSync(app).sort()).toEqual([
        'dist',
        'node_modules',
        'package-lock.json',
        'package.json',
        'web',
      ]);
      expect(filesUnder(join(app, 'web'))).toContain('map/index.html');
      const shipped = filesUnder(join(app, 'dist'));
      expect(
        shipped.filter((f) => /(^|\/)(test|tests|benchmarks|testbed)\//.test(f) || /\.test\.js$/.test(f)),
      ).toEqual([]);
      expect(shipped).toContain('cli/main.js');
      expect(shipped.filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'))).toEqual([]);
    });
  },
);
