// The occupancy map at 5000 nodes × 8 GPUs (issue #19): how long building the fabric takes, how big
// the answers of /map/api/view are (everything closed, one clique open, one rack open, the most one
// answer details), how long a search and a scrape of the fabric metrics take.
//   npx tsx benchmarks/map/run.ts [--nodes 5000] [--runs 7]
import { performance } from 'node:perf_hooks';
import { OccupancyMap } from '../../src/core/occupancy/occupancy-map.js';
import { createFabricMetrics } from '../../src/metrics/fabric-metrics.js';
import { createRegistry } from '../../src/metrics/registry.js';
import { machineDescription, writeJsonResult } from '../lib/results.js';
import { syntheticOccupancy } from './synthetic-occupancy.js';

function flag(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  const value = i < 0 ? fallback : Number(process.argv[i + 1]);
  if (!Number.isInteger(value) || value < 1 || value > 100_000)
    throw new Error(`--${name}: a whole number 1..100000`);
  return value;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? 0;
}

async function main(): Promise<void> {
  const nodes = flag('nodes', 5000);
  const runs = flag('runs', 7);
  const t0 = performance.now();
  const fabric = syntheticOccupancy(nodes);
  const setupMs = performance.now() - t0;
  const map = new OccupancyMap({
    state: fabric.state,
    levels: fabric.levels,
    holder: (uid) => fabric.pods.get(uid),
    plans: () => [],
    schedulerName: 'phalanx-scheduler',
    clock: { now: () => 0 },
    // Measure every build (the live map rebuilds at most once a second).
    minRebuildMs: 0,
  });
  const registry = createRegistry(false);
  createFabricMetrics(registry, () => map.fabric());
  const buildMs: number[] = [];
  // CPU time as well as wall time: on a shared, loaded machine the wall time mostly measures the queue.
  const buildCpuMs: number[] = [];
  const scrapeMs: number[] = [];
  for (let i = 0; i < runs; i++) {
    map.podChanged({ metadata: { name: `bump-${i}` }, spec: { nodeName: 'x' } }); // forces a rebuild
    let t = performance.now();
    const cpu = process.cpuUsage();
    map.fabric();
    const used = process.cpuUsage(cpu);
    buildMs.push(performance.now() - t);
    buildCpuMs.push((used.user + used.system) / 1000);
    t = performance.now();
    await registry.metrics();
    scrapeMs.push(performance.now() - t);
  }
  const cachedScrape = performance.now();
  await registry.metrics();
  const cachedScrapeMs = performance.now() - cachedScrape;
  const bytes = (open: string[]): number => Buffer.byteLength(JSON.stringify(map.view(new Set(open))));
  const first = map.fabric().domains[0];
  const rack = first?.children[0];
  const clique = rack?.children[0];
  const allRacks = (first?.children ?? []).map((r) => r.id);
  const sizes = {
    closed: bytes([]),
    oneClique: bytes(clique ? [clique.id] : []),
    oneRack: bytes(rack ? rack.children.map((c) => c.id) : []),
    maxDetail: bytes(
      allRacks
        .flatMap(
          (id) =>
            map
              .fabric()
              .domains[0]?.children.find((r) => r.id === id)
              ?.children.map((c) => c.id) ?? [],
        )
        .slice(0, 64),
    ),
  };
  const searchT = performance.now();
  const hits = map.search('half-4999', 50).length;
  const searchMs = performance.now() - searchT;
  const metricsText = await registry.metrics();
  const series = metricsText.split('\n').filter((l) => l.startsWith('phalanx_fabric_')).length;
  const result = {
    machine: machineDescription(),
    command: `npx tsx benchmarks/map/run.ts --nodes ${nodes} --runs ${runs}`,
    nodes,
    gpus: map.fabric().totals.gpus,
    holdings: fabric.pods.size,
    setupMs: Math.round(setupMs),
    fabricBuildMs: { median: +median(buildMs).toFixed(1), max: +Math.max(...buildMs).toFixed(1) },
    fabricBuildCpuMs: { median: +median(buildCpuMs).toFixed(1), max: +Math.max(...buildCpuMs).toFixed(1) },
    metricsScrapeAfterChangeMs: { median: +median(scrapeMs).toFixed(1) },
    metricsScrapeUnchangedMs: +cachedScrapeMs.toFixed(1),
    viewBytes: sizes,
    searchMs: +searchMs.toFixed(1),
    searchHits: hits,
    fabricSeries: series,
  };
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  process.stdout.write(`written to ${writeJsonResult('map', result)}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`bench map failed: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
