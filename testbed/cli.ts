// `npm run cluster:up` / `npm run cluster:down`. Progress goes to stderr; `up` prints
// `KUBECONFIG=<absolute path>` on stdout as its last line, so `eval "$(npm run -s cluster:up)"` works.
import { Command, InvalidArgumentError } from 'commander';
import {
  clusterDown,
  clusterUp,
  DEFAULT_CLUSTER_NAME,
  DEFAULT_EXTENDER_PORT,
  DEFAULT_FABRIC,
  stateDirOf,
} from './cluster.js';
import { freePort } from './free-port.js';
import { runPhalanx } from './environment.js';
import { installKueue, stopKueue } from './kueue/kueue-install.js';
import { binaryPaths, selectedK8sVersion } from './versions.js';

function port(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 65535)
    throw new InvalidArgumentError('must be a TCP port (1-65535)');
  return n;
}

const program = new Command('cluster').description('Local KWOK test cluster for Phalanx');

program
  .command('up')
  .description(
    'build or reuse the binaries, start the cluster (idempotent), create the fabric, run Phalanx with its webhook',
  )
  .option('--name <name>', 'cluster name', DEFAULT_CLUSTER_NAME)
  .option('--fabric <file>', 'fabric spec (YAML)', DEFAULT_FABRIC)
  .option('--extender-port <port>', 'Phalanx extender port on 127.0.0.1', port, DEFAULT_EXTENDER_PORT)
  .option('--k8s-version <version>', 'Kubernetes version (default: $PHALANX_K8S_VERSION or newest)')
  .option('--no-phalanx', 'a bare cluster: no Phalanx and no webhook (GPU pods then bypass Phalanx)')
  .option('--webhook-port <port>', 'Phalanx webhook port on 127.0.0.1 (default: a free one)', port)
  .option('--with-kueue', 'also install Kueue (built from its Go module) and run its manager')
  .action(
    async (o: {
      name: string;
      fabric: string;
      extenderPort: number;
      k8sVersion?: string;
      phalanx: boolean;
      webhookPort?: number;
      withKueue?: boolean;
    }) => {
      const cluster = await clusterUp({
        name: o.name,
        fabricFile: o.fabric,
        extenderPort: o.extenderPort,
        k8sVersion: o.k8sVersion ?? selectedK8sVersion(),
        log: (line) => process.stderr.write(`[cluster] ${line}\n`),
      });
      if (o.phalanx) {
        // Phalanx from the working tree, installed as deploy/ installs it, so GPU pods go through it.
        const webhookPort = o.webhookPort ?? (await freePort());
        const { phalanx } = await runPhalanx(cluster, {
          extenderPort: o.extenderPort,
          webhookPort,
          detachedDevicePlugin: true,
        });
        process.stderr.write(
          `[cluster] Phalanx serving on ${phalanx.extenderUrl} (client certificate required), admin ${phalanx.adminUrl} (webhook 127.0.0.1:${webhookPort}); log ${phalanx.logFile}\n`,
        );
      }
      if (o.withKueue === true) {
        const { kubeconfig, stateDir } = cluster;
        await installKueue({ kubeconfig, stateDir, kubectl: binaryPaths(cluster.k8sVersion).kubectl });
      }
      process.stdout.write(`KUBECONFIG=${cluster.kubeconfig}\n`);
    },
  );

program
  .command('down')
  .description('stop Phalanx and every cluster process; remove the cluster state')
  .option('--name <name>', 'cluster name', DEFAULT_CLUSTER_NAME)
  .action(async (o: { name: string }) => {
    await stopKueue(stateDirOf(o.name));
    await clusterDown(o.name);
    process.stderr.write(`[cluster] ${o.name} is down\n`);
  });

await program.parseAsync(process.argv).catch((err: unknown) => {
  process.stderr.write(`[cluster] ${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
});
