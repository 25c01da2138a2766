// The device-plugin stand-in as its own process, for a cluster that outlives the command that made
// it (`cluster:up`): started detached next to Phalanx, stopped by `cluster:down`. The e2e suite and
// the demo run the same stand-in in their own process instead.
import { Command } from 'commander';
import { startDevicePlugin } from './device-plugin.js';

const opts = new Command('device-plugin')
  .requiredOption('--kubeconfig <file>', 'the cluster admin kubeconfig')
  .requiredOption('--state-dir <dir>', 'where the reservation ServiceAccount kubeconfig is written')
  .parse()
  .opts<{ kubeconfig: string; stateDir: string }>();

const log = (line: string): void => void process.stderr.write(`[device-plugin] ${line}\n`);
const standIn = await startDevicePlugin({ adminKubeconfig: opts.kubeconfig, stateDir: opts.stateDir, log });
log('running');
// The stand-in's own timers do not hold the process open; this one does, until a signal.
const alive = setInterval(() => undefined, 60_000);
await new Promise<void>((resolve) => {
  process.once('SIGTERM', resolve);
  process.once('SIGINT', resolve);
});
clearInterval(alive);
await standIn.stop();
log('stopped');
