// bench:extender — the extender HTTP service alone (child process) driven from this process over
// loopback, the way kube-scheduler drives it: filter over every node, then prioritize over the
// survivors, one pod at a time. Bounded in requests and time. Figures are printed and written to
// benchmarks/results/extender.json with its plot (extender.svg).
import { fork } from 'node:child_process';
import { Agent, request as httpRequest } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { join } from 'node:path';
import { SingleBar, Presets } from 'cli-progress';
import { Command } from 'commander';
import { SERVE_NODE_OPTIONS } from '../../src/cli/gc-tuning.js';
import { extenderChart } from '../lib/charts.js';
import { commandLine, machineDescription, writeJsonResult, writeResult } from '../lib/results.js';

interface ServerInfo {
  port: number;
  /** With --tls: the client certificate the server requires, and the CA of both. */
  client?: { ca: string; cert: string; key: string };
  heapBytesPerNode: number;
  heapBytesPerEmptyNode: number;
  podsPerNode: number;
  nodes: number;
  nodeNames: string[];
}

interface Run {
  nodes: number;
  mode: 'names' | 'objects';
  pods: number;
  /** Pods scheduled first and left out of the figures below (JIT, caches, the policy's learning). */
  warmup: number;
  /** Round trip filter + prioritize over the warm-up pods alone: what a freshly started extender costs. */
  coldFilterPrioritizeP50Ms: number;
  coldFilterPrioritizeP99Ms: number;
  filterP50Ms: number;
  filterP99Ms: number;
  prioritizeP50Ms: number;
  prioritizeP99Ms: number;
  filterPrioritizeP50Ms: number;
  filterPrioritizeP99Ms: number;
  /** Filter + prioritize as the server timed them (headers in → reply written), without the client. */
  serviceFilterPrioritizeP50Ms: number;
  serviceFilterPrioritizeP99Ms: number;
  requestsPerSec: number;
  /** CPU time (user + system) the extender process spent per measured pod (filter + prioritize). */
  serviceCpuPerPodMs: number;
  /** Round trip filter + prioritize of the first pod of each shape, once warm: per-shape caches empty. */
  firstOfShapeMs: number[];
  /** The same pods' filter + prioritize as the server timed them: the rest of firstOfShapeMs is the
   * client (encoding the request, decoding the reply) and the loopback transfer. */
  firstOfShapeServiceMs: number[];
  /** With --bind: binds answered with an error (none expected: each goes to a node prioritize offered). */
  bindErrors?: number;
  /** Heap of the cluster state per node: with the fabric's bound pods, and with none. */
  heapBytesPerNode: number;
  heapBytesPerEmptyNode: number;
  /** Bound pods (ledger holdings) per node in the fabric, which heapBytesPerNode includes. */
  podsPerNode: number;
}

const program = new Command()
  .option('--nodes <list>', 'comma-separated node counts', '1000,5000')
  .option('--mode <mode>', 'names | objects | both', 'both')
  .option('--pods <n>', 'pods scheduled per run (each = filter + prioritize)', '300')
  .option(
    '--warmup <n>',
    'pods scheduled before measuring (their figures go to cold*); 300 covers the policy table republishes at 1, 2, 4 … 256 observations',
    '300',
  )
  .option('--max-seconds <n>', "time bound of each run's warm-up, and again of its measured pods", '60')
  .option('--policy <name>', 'placement policy', 'binpack')
  .option(
    '--order <order>',
    "each filter's node list: same (one list for every pod) or shuffled (a new order per pod, as kube-scheduler's parallel filter sends it; written to extender-shuffled.json)",
    'same',
  )
  .option(
    '--bind',
    "bind each pod to prioritize's top node, as kube-scheduler does, so every pod meets the node the one before it changed (binds go to the ledger alone; CPU per pod includes them; written to extender[-shuffled]-bind.json)",
  )
  .option('--tls', 'HTTPS with a client certificate, as kube-scheduler reaches `phalanx serve`')
  .option(
    '--prioritize-ahead',
    "the extender's filter.prioritizeAhead (off here: prioritize's work then stays in its request's service time)",
  )
  .option('--cpu-prof', 'profile the extender process (node --cpu-prof) into benchmarks/results/')
  .option(
    '--new-shapes <n>',
    'pods of a fraction no earlier pod asked for (0.12, 0.14 …), scheduled after the measured pods (firstOfShapeMs), 1-39',
    '8',
  )
  .option('--json', 'print one JSON object on stdout')
  .parse();
const opts = program.opts<{
  nodes: string;
  mode: string;
  pods: string;
  warmup: string;
  maxSeconds: string;
  policy: string;
  order: string;
  bind?: boolean;
  tls?: boolean;
  prioritizeAhead?: boolean;
  cpuProf?: boolean;
  json?: boolean;
  newShapes: string;
}>();

/** New shapes scheduled after the measured pods (firstOfShapeMs): fractions 0.12 … 0.90. */
const FIRST_OF_SHAPE_PODS = Number(opts.newShapes);
if (!Number.isInteger(FIRST_OF_SHAPE_PODS) || FIRST_OF_SHAPE_PODS < 1 || FIRST_OF_SHAPE_PODS > 39)
  throw new Error(`--new-shapes: an integer from 1 to 39, got ${opts.newShapes}`);

const quantile = (sorted: number[], q: number): number =>
  sorted.length === 0 ? 0 : (sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0);
const round = (x: number): number => Math.round(x * 1000) / 1000;

interface Server {
  info: ServerInfo;
  /** Service times (ms) the server measured, per path, in request order. */
  serviceTimes: () => Promise<Record<string, number[]>>;
  /** CPU microseconds the server process used so far (user + system). */
  cpuMicros: () => Promise<number>;
  stop: () => void;
}

function startServer(nodes: number): Promise<Server> {
  const child = fork(
    join(import.meta.dirname, 'server.ts'),
    [
      String(nodes),
      opts.policy,
      opts.tls ? 'tls' : 'plain',
      opts.bind ? 'bind' : 'no-bind',
      opts.prioritizeAhead ? 'ahead' : 'no-ahead',
    ],
    {
      execArgv: [
        ...SERVE_NODE_OPTIONS,
        '--import',
        'tsx',
        '--expose-gc',
        ...(opts.cpuProf ? ['--cpu-prof', '--cpu-prof-dir', join(import.meta.dirname, '..', 'results')] : []),
      ],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    },
  );
  return new Promise((resolve, reject) => {
    // SIGINT lets --cpu-prof write its profile before the child exits.
    child.once('message', (info) =>
      resolve({
        info: info as ServerInfo,
        serviceTimes: () =>
          new Promise((done) => {
            child.once('message', (m) => done((m as { serviceMs: Record<string, number[]> }).serviceMs));
            child.send('service-times');
          }),
        cpuMicros: () =>
          new Promise((done) => {
            child.once('message', (m) => {
              const { user, system } = (m as { cpu: NodeJS.CpuUsage }).cpu;
              done(user + system);
            });
            child.send('cpu');
          }),
        stop: () => child.kill('SIGINT'),
      }),
    );
    child.once('exit', (code) => reject(new Error(`bench server exited with ${code}`)));
  });
}

/** A realistic Node object as the scheduler sends it with nodeCacheCapable=false. */
function nodeObject(name: string) {
  return {
    metadata: {
      name,
      uid: `uid-${name}`,
      labels: {
        'kubernetes.io/hostname': name,
        'nvidia.com/gpu.product': 'NVIDIA-H100-80GB-HBM3',
        'nvidia.com/gpu.memory': '81559',
        'nvidia.com/gpu.count': '8',
      },
      annotations: { 'node.alpha.kubernetes.io/ttl': '0' },
    },
    spec: { podCIDR: '10.0.0.0/24' },
    status: {
      capacity: { cpu: '96', memory: '1056947740Ki', pods: '110', 'nvidia.com/gpu': '8' },
      allocatable: { cpu: '95', memory: '1046947740Ki', pods: '110', 'nvidia.com/gpu': '8' },
      conditions: [
        { type: 'Ready', status: 'True', reason: 'KubeletReady', message: 'kubelet is posting ready status' },
      ],
      nodeInfo: {
        kubeletVersion: 'v1.37.2',
        containerRuntimeVersion: 'containerd://2.1.0',
        architecture: 'amd64',
      },
      images: [{ names: ['registry.example/inference:1'], sizeBytes: 9_000_000_000 }],
    },
  };
}

function pod(i: number) {
  const kinds = [
    { annotations: { 'phalanx.dev/gpu-fraction': '0.5' }, limits: {} },
    { annotations: {}, limits: { 'nvidia.com/gpu': '1' } },
    { annotations: { 'phalanx.dev/gpu-fraction': '0.25' }, limits: {} },
    { annotations: {}, limits: { 'nvidia.com/gpu': '4' } },
  ];
  const kind = kinds[i % kinds.length]!;
  return {
    metadata: {
      name: `bench-${i}`,
      namespace: 'bench',
      uid: `bench-uid-${i}`,
      annotations: kind.annotations,
    },
    spec: {
      schedulerName: 'phalanx-scheduler',
      containers: [{ name: 'main', resources: { limits: kind.limits } }],
    },
    status: { phase: 'Pending' },
  };
}

/** One connection kept alive, as kube-scheduler's Go client keeps one per extender. */
let agent: Agent = new Agent({ keepAlive: true, maxSockets: 1 });

function post(url: string, body: string): Promise<unknown> {
  const payload = Buffer.from(body);
  const request = url.startsWith('https:') ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method: 'POST',
        agent,
        headers: { 'content-type': 'application/json', 'content-length': payload.length },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => {
          if (res.statusCode !== 200) reject(new Error(`${url}: HTTP ${res.statusCode}`));
          else resolve(JSON.parse(Buffer.concat(chunks).toString('utf8')));
        });
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

/** Pods of shapes no earlier pod had (fractions 0.12, 0.14 … 0.26): each meets empty per-shape caches. */
function newShapePod(k: number) {
  const p = pod(0);
  return {
    ...p,
    metadata: {
      ...p.metadata,
      name: `bench-shape-${k}`,
      uid: `bench-shape-uid-${k}`,
      annotations: { 'phalanx.dev/gpu-fraction': (0.12 + 0.02 * k).toFixed(2) },
    },
  };
}

async function measure(nodes: number, mode: 'names' | 'objects', bar: SingleBar): Promise<Run> {
  const { info, serviceTimes, cpuMicros, stop } = await startServer(nodes);
  const base = `${info.client ? 'https' : 'http'}://127.0.0.1:${info.port}`;
  agent = info.client
    ? new HttpsAgent({ keepAlive: true, maxSockets: 1, ...info.client })
    : new Agent({ keepAlive: true, maxSockets: 1 });
  const objects = mode === 'objects' ? new Map(info.nodeNames.map((n) => [n, nodeObject(n)])) : undefined;
  const args = (p: unknown, names: string[]) =>
    JSON.stringify(
      objects
        ? { Pod: p, Nodes: { metadata: {}, items: names.map((n) => objects.get(n)) }, NodeNames: null }
        : { Pod: p, Nodes: null, NodeNames: names },
    );
  const filterMs: number[] = [];
  const prioritizeMs: number[] = [];
  const bothMs: number[] = [];
  const coldMs: number[] = [];
  const warmup = Number(opts.warmup);
  const pods = Number(opts.pods);
  const bound = Number(opts.maxSeconds) * 1000;
  let deadline = performance.now() + bound;
  /** One pod as kube-scheduler handles it: filter over every node, prioritize over the survivors. */
  let bindErrors = 0;
  /** The pod onto the node with the highest extender score (the first survivor when none scored). */
  const bind = async (p: unknown, scores: { Host: string; Score: number }[], survivors: string[]) => {
    let node = survivors[0]!;
    let best = -1;
    for (const s of scores) if (s.Score > best) [node, best] = [s.Host, s.Score];
    const meta = (p as { metadata: { name: string; namespace: string; uid: string } }).metadata;
    const body = JSON.stringify({
      PodName: meta.name,
      PodNamespace: meta.namespace,
      PodUID: meta.uid,
      Node: node,
    });
    const reply = (await post(`${base}/bind`, body)) as { Error?: string };
    if (reply.Error) bindErrors++;
  };
  const schedule = async (i: number, p: unknown = pod(i)): Promise<[filter: number, prioritize: number]> => {
    // The request body is the scheduler's cost, not the extender's: built before the clock starts.
    const filterBody = args(p, shuffled ? shuffledCopy(info.nodeNames, i + 1) : info.nodeNames);
    const t0 = performance.now();
    const filtered = (await post(`${base}/filter`, filterBody)) as {
      NodeNames: string[] | null;
      Nodes: { items: { metadata: { name: string } }[] } | null;
    };
    const t1 = performance.now();
    const survivors = filtered.NodeNames ?? filtered.Nodes?.items.map((n) => n.metadata.name) ?? [];
    const prioritizeBody = args(p, survivors);
    const t2 = performance.now();
    const scores = (await post(`${base}/prioritize`, prioritizeBody)) as { Host: string; Score: number }[];
    const t3 = performance.now();
    if (opts.bind && survivors.length > 0) await bind(p, scores, survivors);
    return [t1 - t0, t3 - t2];
  };
  let elapsed: number;
  let cpuPerPodMs: number;
  const firstOfShapeMs: number[] = [];
  let requests = 0;
  let service: Record<string, number[]>;
  try {
    let i = 0;
    for (; i < warmup && performance.now() < deadline; i++) {
      const [f, p] = await schedule(i);
      coldMs.push(f + p);
    }
    const started = performance.now();
    deadline = started + bound;
    const cpuBefore = await cpuMicros();
    for (let n = 0; n < pods && performance.now() < deadline; n++, i++) {
      const [f, p] = await schedule(i);
      requests += opts.bind ? 3 : 2;
      filterMs.push(f);
      prioritizeMs.push(p);
      bothMs.push(f + p);
      bar.increment();
    }
    elapsed = (performance.now() - started) / 1000;
    cpuPerPodMs = ((await cpuMicros()) - cpuBefore) / (1000 * Math.max(1, filterMs.length));
    for (let k = 0; k < FIRST_OF_SHAPE_PODS; k++) {
      const [f, p] = await schedule(i, newShapePod(k));
      firstOfShapeMs.push(round(f + p));
    }
    service = await serviceTimes();
  } finally {
    stop();
  }
  // The server timed every request in order: the warm-up's, the measured pods', then the new shapes'.
  const firstOfShapeServiceMs = Array.from({ length: firstOfShapeMs.length }, (_, k) => {
    const at = (path: string): number => service[path]?.at(k - firstOfShapeMs.length) ?? 0;
    return round(at('/filter') + at('/prioritize'));
  });
  const measured = (path: string): number[] =>
    (service[path] ?? []).slice(coldMs.length, coldMs.length + filterMs.length);
  const serviceFilter = measured('/filter');
  const serviceBoth = measured('/prioritize').map((ms, i) => ms + (serviceFilter[i] ?? 0));
  for (const list of [filterMs, prioritizeMs, bothMs, serviceBoth, coldMs]) list.sort((a, b) => a - b);
  return {
    nodes: info.nodes,
    mode,
    pods: filterMs.length,
    warmup: coldMs.length,
    coldFilterPrioritizeP50Ms: round(quantile(coldMs, 0.5)),
    coldFilterPrioritizeP99Ms: round(quantile(coldMs, 0.99)),
    filterP50Ms: round(quantile(filterMs, 0.5)),
    filterP99Ms: round(quantile(filterMs, 0.99)),
    prioritizeP50Ms: round(quantile(prioritizeMs, 0.5)),
    prioritizeP99Ms: round(quantile(prioritizeMs, 0.99)),
    filterPrioritizeP50Ms: round(quantile(bothMs, 0.5)),
    filterPrioritizeP99Ms: round(quantile(bothMs, 0.99)),
    serviceFilterPrioritizeP50Ms: round(quantile(serviceBoth, 0.5)),
    serviceFilterPrioritizeP99Ms: round(quantile(serviceBoth, 0.99)),
    requestsPerSec: Math.round(requests / elapsed),
    serviceCpuPerPodMs: round(cpuPerPodMs),
    firstOfShapeMs,
    firstOfShapeServiceMs,
    ...(opts.bind ? { bindErrors } : {}),
    heapBytesPerNode: info.heapBytesPerNode,
    heapBytesPerEmptyNode: info.heapBytesPerEmptyNode,
    podsPerNode: info.podsPerNode,
  };
}

/** The names in an order of their own per seed (Fisher-Yates over a linear congruential sequence). */
function shuffledCopy(names: readonly string[], seed: number): string[] {
  const out = [...names];
  let x = seed >>> 0;
  for (let i = out.length - 1; i > 0; i--) {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
    const j = x % (i + 1);
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

/** Largest fabric simulated: 15 000 nodes fit in a few hundred MB of heap and seconds of setup. */
const MAX_NODES = 20_000;
const sizes = opts.nodes.split(',').map(Number);
for (const n of sizes) {
  if (!Number.isInteger(n) || n < 1 || n > MAX_NODES)
    throw new Error(`--nodes: each count must be an integer from 1 to ${MAX_NODES}, got ${n}`);
}
if (opts.order !== 'same' && opts.order !== 'shuffled')
  throw new Error(`--order: same or shuffled, got ${opts.order}`);
const shuffled = opts.order === 'shuffled';
const modes: ('names' | 'objects')[] =
  opts.mode === 'both' ? ['names', 'objects'] : [opts.mode as 'names' | 'objects'];
const bar = new SingleBar(
  { format: 'bench:extender [{bar}] {value}/{total} pods', stream: process.stderr },
  Presets.shades_classic,
);
bar.start(sizes.length * modes.length * Number(opts.pods), 0);
const runs: Run[] = [];
for (const nodes of sizes) for (const mode of modes) runs.push(await measure(nodes, mode, bar));
bar.stop();

const result = {
  benchmark: 'extender',
  command: commandLine('bench:extender'),
  policy: opts.policy,
  transport: opts.tls ? 'HTTPS with client certificates (mutual TLS, as deployed)' : 'plain HTTP',
  order: shuffled ? 'a new order of the node list per pod' : 'one node list for every pod',
  binds: opts.bind ? 'each pod bound to its top-scored node (ledger only)' : 'none',
  prioritizeAhead: opts.prioritizeAhead === true,
  warmup: Number(opts.warmup),
  machine: machineDescription(),
  runs,
};
const ahead = opts.prioritizeAhead ? '-ahead' : '';
if (shuffled || opts.bind || opts.prioritizeAhead)
  writeJsonResult(`extender${shuffled ? '-shuffled' : ''}${opts.bind ? '-bind' : ''}${ahead}`, result);
else {
  writeJsonResult('extender', result);
  writeResult('extender.svg', extenderChart(result));
}
if (opts.json) console.log(JSON.stringify(result));
else console.table(runs);
