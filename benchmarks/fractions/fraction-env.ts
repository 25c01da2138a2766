// The environment bench:fractions runs in: a local cluster whose fake nodes KWOK manages (bound pods
// go Running, as with a kubelet; bench-env.ts's nodes have no kubelet simulation, so no reservation
// pod would ever run), Phalanx as deploy/ installs it (its ServiceAccount and RBAC, deploy/reservations,
// the webhook that turns `phalanx.dev/gpu-fraction` into a share) and the test bed's device-plugin
// stand-in, which gives reservation pods a fake device and runs the real `phalanx reserve`, in this
// process. testbed/environment.ts `runPhalanx` does all three steps after the cluster is up, as for the
// e2e suite and the demo; the cluster itself is the test bed's, with kwokctl's own kube-scheduler
// running deploy/'s scheduler configuration (the phalanx-scheduler profile calling the extender).
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { parse } from 'yaml';
import { configSchema } from '../../src/config/schema.js';
import { clusterDown, clusterUp, type Cluster } from '../../testbed/cluster.js';
import type { DevicePluginStandIn } from '../../testbed/device-plugin.js';
import { freePort } from '../../testbed/free-port.js';
import { runPhalanx } from '../../testbed/environment.js';
import type { PhalanxRunner } from '../../testbed/phalanx-runner.js';

export interface FractionEnv {
  readonly cluster: Cluster;
  readonly kc: KubeConfig;
  readonly phalanx: PhalanxRunner;
  readonly devicePlugin: DevicePluginStandIn;
  /** The reservation settings Phalanx runs with (deploy/'s configuration, schema defaults filled). */
  readonly reservations: { readonly uuidWaitMs: number; readonly releaseAfterMs: number };
  stop(): Promise<void>;
}

export async function startFractionEnv(opts: {
  readonly name: string;
  readonly fabricFile: string;
  readonly keepCluster: boolean;
  readonly log: (line: string) => void;
}): Promise<FractionEnv> {
  const [extenderPort, webhookPort] = [await freePort(), await freePort()];
  const cluster = await clusterUp({
    name: opts.name,
    fabricFile: opts.fabricFile,
    extenderPort,
    kwokManagedNodes: true,
    log: opts.log,
  });
  let started: Awaited<ReturnType<typeof runPhalanx>>;
  try {
    started = await runPhalanx(cluster, {
      extenderPort,
      webhookPort,
      step: async (label, fn) => {
        const t0 = Date.now();
        const value = await fn();
        opts.log(`${label} in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
        return value;
      },
    });
  } catch (err) {
    if (!opts.keepCluster) await clusterDown(opts.name);
    throw err;
  }
  const { phalanx, devicePlugin } = started;
  if (devicePlugin === undefined) throw new Error('the in-process device plugin stand-in did not start');
  const kc = new KubeConfig();
  kc.loadFromFile(cluster.kubeconfig);
  // The configuration file runPhalanx wrote (phalanx-runner.ts), as Phalanx parses it.
  const config = configSchema.parse(
    parse(await readFile(join(cluster.stateDir, 'phalanx-e2e.yaml'), 'utf8')) as unknown,
  );
  return {
    cluster,
    kc,
    phalanx,
    devicePlugin,
    reservations: {
      uuidWaitMs: config.reservations.uuidWaitMs,
      releaseAfterMs: config.reservations.releaseAfterMs,
    },
    async stop() {
      await devicePlugin.stop();
      await phalanx.stop();
      if (!opts.keepCluster) await clusterDown(opts.name);
    },
  };
}
