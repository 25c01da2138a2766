#!/usr/bin/env -S node --max-semi-space-size=4
// Entry point of the `phalanx` command.
import { Command, InvalidArgumentError } from 'commander';
import { ConfigError, loadConfig } from '../config/load.js';
import { createLogger } from '../logging/logger.js';
import { serve } from './serve.js';
import { tuneGarbageCollector } from './gc-tuning.js';
import { DEFAULT_LIST_COMMAND, runReserve } from './reserve.js';
import { runMapCommand } from './map-command.js';

function port(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new InvalidArgumentError('must be a port number');
  return n;
}

const program = new Command()
  .name('phalanx')
  .description('Fractional GPUs, gangs and topology-aware placement for the stock kube-scheduler');

program
  .command('serve')
  .description('run the scheduler extender and the admission webhook')
  .option('-c, --config <file>', 'YAML configuration file')
  .option('--kubeconfig <file>', 'kubeconfig (default: in-cluster)')
  .option('--extender-host <host>', 'extender listen address')
  .option('--extender-port <port>', 'extender listen port', port)
  .option('--webhook-host <host>', 'webhook listen address')
  .option('--webhook-port <port>', 'webhook listen port', port)
  .option('--no-webhook', 'do not serve the admission webhook')
  .option('--policy <name>', 'placement policy (binpack, spread, phalanx, ...)')
  .option('--leader-elect', 'take part in leader election (several replicas)')
  .option('--log-level <level>', 'trace | debug | info | warn | error')
  .action(async (opts: Record<string, unknown>) => {
    let config;
    try {
      config = loadConfig({
        file: opts['config'] as string | undefined,
        env: process.env,
        overrides: {
          'kube.kubeconfig': opts['kubeconfig'],
          'extender.host': opts['extenderHost'],
          'extender.port': opts['extenderPort'],
          'webhook.host': opts['webhookHost'],
          'webhook.port': opts['webhookPort'],
          'webhook.enabled': opts['webhook'] === false ? false : undefined,
          policy: opts['policy'],
          'leaderElection.enabled': opts['leaderElect'] === true ? true : undefined,
          logLevel: opts['logLevel'],
        },
      });
    } catch (err) {
      if (err instanceof ConfigError) {
        console.error(`phalanx: ${err.message}`);
        process.exit(2);
      }
      throw err;
    }
    const collectorWarning = tuneGarbageCollector();
    const logger = createLogger(config.logLevel);
    if (collectorWarning) logger.warn(collectorWarning);
    // Handlers are guarded where events enter; this is the last line of defence: log, keep serving.
    process.on('unhandledRejection', (err) => logger.error({ err }, 'unhandled rejection'));
    const running = await serve(config, logger, process.env);
    let stopping = false;
    const shutdown = (signal: string) => {
      if (stopping) return;
      stopping = true;
      logger.info({ signal }, 'signal received');
      running.stop().then(
        () => process.exit(0),
        (err: unknown) => {
          logger.error({ err }, 'shutdown failed');
          process.exit(1);
        },
      );
    };
    process.on('SIGTERM', () => shutdown('SIGTERM'));
    process.on('SIGINT', () => shutdown('SIGINT'));
  });

program
  .command('reserve')
  .description('GPU reservation pod: report the device the NVIDIA device plugin gave this pod, then hold it')
  .option('--kubeconfig <file>', 'kubeconfig (default: in-cluster)')
  .option(
    '--list-command <command>',
    'GPU listing command (split on spaces) when NVIDIA_VISIBLE_DEVICES names no UUID, e.g. with CDI',
    DEFAULT_LIST_COMMAND.join(' '),
  )
  .action(async (opts: { kubeconfig?: string; listCommand: string }) => {
    const stop = new Promise((resolve) => {
      process.once('SIGTERM', resolve);
      process.once('SIGINT', resolve);
    });
    const code = await runReserve({
      env: process.env,
      kubeconfig: opts.kubeconfig,
      listCommand: opts.listCommand.split(/\s+/).filter((part) => part !== ''),
      stop,
      log: (line) => console.error(line),
    });
    process.exit(code);
  });

program
  .command('map')
  .description("print the occupancy map of a running Phalanx (its admin port's /map) as text")
  .option('--url <url>', "the admin port's base URL", 'http://127.0.0.1:9090')
  .option('--open <ids>', 'domain ids to open, comma-separated (label values joined by "/")', '')
  .option('--search <text>', 'find a pod, gang, node or domain instead')
  .option('--json', 'print the JSON answer instead of text')
  .action(async (opts: { url: string; open: string; search?: string; json?: boolean }) => {
    const text = await runMapCommand({
      url: opts.url,
      open: opts.open.split(',').filter((id) => id !== ''),
      ...(opts.search === undefined ? {} : { search: opts.search }),
      json: opts.json === true,
    });
    process.stdout.write(`${text}\n`);
  });

program.parseAsync().catch((err: unknown) => {
  console.error('phalanx:', err instanceof Error ? err.message : err);
  process.exit(1);
});
