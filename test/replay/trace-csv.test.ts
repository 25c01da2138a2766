import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { memoryBytesOf, nodeInventory, podDemand, podGpuMilli } from '../../src/replay/trace-convert.js';
import { parseNodeCsv, parsePodCsv } from '../../src/replay/trace-csv.js';

const fixture = (name: string): string => readFileSync(join(import.meta.dirname, 'fixtures', name), 'utf8');

describe('openb CSV loading', () => {
  it('reads node rows and builds one island per node', () => {
    const nodes = parseNodeCsv(fixture('nodes.csv'));
    expect(nodes).toEqual([
      { name: 'n-a', cpuMilli: 32000, memoryMib: 65536, gpus: 2, model: 'T4' },
      { name: 'n-b', cpuMilli: 16000, memoryMib: 32768, gpus: 1, model: 'P100' },
    ]);
    const inv = nodeInventory(nodes[0]!);
    expect(inv.devices.map((d) => d.index)).toEqual([0, 1]);
    expect(inv.islands).toEqual([[0, 1]]);
    expect(inv.model).toBe('T4');
  });

  it('reads pods and converts share, whole and CPU-only demands', () => {
    const pods = parsePodCsv(fixture('pods.csv'));
    expect(pods.map((p) => p.name)).toEqual(['p-share', 'p-whole', 'p-cpu']);
    expect(podDemand(pods[0]!)).toEqual({
      gpu: { kind: 'fraction', milli: 500 },
      topology: {},
      cpuMilli: 4000,
      memoryBytes: 8192 * 1024 * 1024,
    });
    expect(podDemand(pods[1]!)).toMatchObject({ gpu: { kind: 'whole', count: 1 }, models: ['T4', 'P100'] });
    expect(podDemand(pods[2]!).gpu).toEqual({ kind: 'none' });
    expect(pods.map(podGpuMilli)).toEqual([500, 1000, 0]);
    expect(memoryBytesOf(2)).toBe(2097152);
  });

  it('accepts the five-column multigpu layout', () => {
    const pods = parsePodCsv('name,cpu_milli,memory_mib,num_gpu,gpu_milli\np,1000,10,8,1000\n');
    expect(pods[0]).toMatchObject({ numGpu: 8, gpuMilli: 1000, gpuSpec: [] });
  });

  it('names the row and column of a bad value', () => {
    expect(() =>
      parsePodCsv('name,cpu_milli,memory_mib,num_gpu,gpu_milli\np,abc,10,1,1000\n', 'x.csv'),
    ).toThrow('x.csv row 2: cpu_milli must be a non-negative integer, got "abc"');
    expect(() => parseNodeCsv('sn,cpu_milli\nn,1\n', 'n.csv')).toThrow(
      'n.csv: missing column(s) memory_mib, gpu, model',
    );
    expect(() => parsePodCsv('name,cpu_milli,memory_mib,num_gpu,gpu_milli\np,1,1,2,500\n')).toThrow(
      'a GPU share',
    );
  });
});
