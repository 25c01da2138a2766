// bench:soak — bounded memory under hostile input (issue 17): 1 M filter and prioritize requests,
// each naming random nodes (mostly invented, a few real), through the extender's real HTTP routes in
// a child process (benchmarks/soak/server.ts: the in-process app over plain HTTP on 127.0.0.1, as
// bench:extender; the shipped listener adds mutual TLS in front of the same routes). The child's heap
// after a full GC is read before the first request, at every tenth of the run and at the end.
// Bounded in requests and time. Figures are printed and written to benchmarks/results/soak.json
// with the 1-minute load average at start and end.
import { fork } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { Agent, request } from 'node:http';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { SERVE_NODE_OPTIONS } from '../../src/cli/gc-tuning.js';
import { commandLine, machineDescription, writeJsonResult } from '../lib/results.js';

const program = new Command()
  .option('--requests <n>', 'filter + prioritize requests in all', '1000000')
  .option('--nodes <n>', 'nodes the extender knows', '1000')
  .option('--names <n>', 'node names per request', '16')
  .option('--known <n>', 'of which real node names', '2')
  .option('--concurrency <n>', 'requests in flight (keep-alive connections)', '8')
  .option('--max-seconds <n>', 'time bound of the run', '900')
  .option('--policy <name>', 'placement policy', 'phalanx')
  .parse();
const opts = program.opts<{
  requests: string;
  nodes: string;
  names: string;
  known: string;
  concurrency: string;
  maxSeconds: string;
  policy: string;
}>();

interface Heap {
  heapUsedBytes: number;
  rssBytes: number;
  external: number;
}
interface Ready {
  port: number;
  nodes: number;
  nodeNames: string[];
}

const load1 = () => Math.round((loadavg()[0] ?? 0) * 100) / 100;
const mib = (bytes: number) => Math.round((bytes / 2 ** 20) * 100) / 100;
const total = Number(opts.requests);
const perRequest = Number(opts.names);
const known = Math.min(Number(opts.known), perRequest);
const concurrency = Number(opts.concurrency);
const deadline = Date.now() + Number(opts.maxSeconds) * 1000;

const child = fork(join(import.meta.dirname, 'server.ts'), [opts.nodes, opts.policy], {
  execArgv: [...SERVE_NODE_OPTIONS, '--import', 'tsx', '--expose-gc'],
  stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
});
const ready = await new Promise<Ready>((resolve, reject) => {
  child.once('message', (m) => resolve(m as Ready));
  child.once('exit', (code) => reject(new Error(`soak server exited with ${code}`)));
});
const heap = () =>
  new Promise<Heap>((resolve) => {
    const onMessage = (m: unknown) => {
      const h = (m as { heap?: Heap }).heap;
      if (h === undefined) return;
      child.off('message', onMessage);
      resolve(h);
    };
    child.on('message', onMessage);
    child.send('heap');
  });

const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
function post(path: string, body: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port: ready.port,
        path,
        method: 'POST',
        agent,
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
        res.on('error', reject);
      },
    );
    req.setTimeout(10_000, () => req.destroy(new Error(`${path}: timed out`)));
    req.on('error', reject);
    req.end(body);
  });
}

const KINDS = [
  { annotations: { 'phalanx.dev/gpu-fraction': '0.5' }, limits: {} },
  { annotations: {}, limits: { 'nvidia.com/gpu': '1' } },
  { annotations: { 'phalanx.dev/gpu-fraction': '0.25' }, limits: {} },
  { annotations: {}, limits: { 'nvidia.com/gpu': '4' } },
];
/** A new pod (name, UID) each time, naming `perRequest` nodes: `known` real ones, the rest invented. */
function body(i: number): string {
  const kind = KINDS[i % KINDS.length]!;
  const names: string[] = [];
  for (let k = 0; k < known; k++) {
    names.push(ready.nodeNames[Math.floor(Math.random() * ready.nodeNames.length)] ?? 'none');
  }
  const random = randomBytes(8 * (perRequest - known)).toString('hex');
  for (let k = 0; k < perRequest - known; k++) names.push(`node-${random.slice(16 * k, 16 * k + 16)}`);
  return JSON.stringify({
    Pod: {
      metadata: { name: `soak-${i}`, namespace: 'soak', uid: `soak-uid-${i}`, annotations: kind.annotations },
      spec: {
        schedulerName: 'phalanx-scheduler',
        containers: [{ name: 'main', resources: { limits: kind.limits } }],
      },
      status: { phase: 'Pending' },
    },
    Nodes: null,
    NodeNames: names,
  });
}

const loadStart = load1();
const before = await heap();
process.stderr.write(
  `[soak] ${ready.nodes} nodes; heap before ${mib(before.heapUsedBytes)} MiB; sending ${total} requests\n`,
);
const checkpoints: { requests: number; heapUsedMiB: number; rssMiB: number }[] = [
  { requests: 0, heapUsedMiB: mib(before.heapUsedBytes), rssMiB: mib(before.rssBytes) },
];
const statuses = new Map<number, number>();
let sent = 0;
let done = 0;
const started = Date.now();
const step = Math.max(1, Math.floor(total / 10));
let nextCheckpoint = step;
let checkpointing: Promise<void> = Promise.resolve();

async function worker(): Promise<void> {
  while (sent < total && Date.now() < deadline) {
    const i = sent++;
    // Filter and prioritize alternate, as the scheduler sends them.
    const status = await post(i % 2 === 0 ? '/filter' : '/prioritize', body(i));
    statuses.set(status, (statuses.get(status) ?? 0) + 1);
    done++;
    if (done >= nextCheckpoint) {
      nextCheckpoint += step;
      const at = done;
      checkpointing = checkpointing.then(async () => {
        const h = await heap();
        checkpoints.push({ requests: at, heapUsedMiB: mib(h.heapUsedBytes), rssMiB: mib(h.rssBytes) });
        const rate = Math.round(at / ((Date.now() - started) / 1000));
        process.stderr.write(
          `[soak] ${at} requests (${rate}/s): heap ${mib(h.heapUsedBytes)} MiB after GC\n`,
        );
      });
    }
  }
}

try {
  await Promise.all(Array.from({ length: concurrency }, worker));
  await checkpointing;
  const seconds = (Date.now() - started) / 1000;
  const after = await heap();
  const loadEnd = load1();
  const result = {
    benchmark: 'soak',
    command: commandLine('bench:soak'),
    machine: machineDescription(),
    transport:
      'in-process extender app (src/server/app.ts createServerApp) over plain HTTP on 127.0.0.1, as bench:extender; the shipped listener is mutual TLS in front of the same routes',
    loadAverage1m: { start: loadStart, end: loadEnd },
    nodes: ready.nodes,
    policy: opts.policy,
    requests: done,
    requestsWanted: total,
    namesPerRequest: perRequest,
    knownNamesPerRequest: known,
    seconds: Math.round(seconds),
    requestsPerSec: Math.round(done / seconds),
    statuses: Object.fromEntries(statuses),
    heapBeforeMiB: mib(before.heapUsedBytes),
    heapAfterMiB: mib(after.heapUsedBytes),
    heapRetainedMiB: mib(after.heapUsedBytes - before.heapUsedBytes),
    rssBeforeMiB: mib(before.rssBytes),
    rssAfterMiB: mib(after.rssBytes),
    runs: checkpoints,
  };
  writeJsonResult('soak', result);
  console.table(checkpoints);
  console.log(
    `${done} requests (${perRequest} node names each, ${known} real) in ${Math.round(seconds)} s (${result.requestsPerSec}/s), ` +
      `statuses ${JSON.stringify(result.statuses)}; heap after GC ${result.heapBeforeMiB} MiB before → ` +
      `${result.heapAfterMiB} MiB after (${result.heapRetainedMiB} MiB retained); 1-min load ${loadStart} → ${loadEnd}`,
  );
  if (done < total) process.stderr.write(`[soak] time bound reached: ${done}/${total} requests sent\n`);
} finally {
  agent.destroy();
  child.kill('SIGINT');
}
