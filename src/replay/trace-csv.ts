// Reads the openb node and pod lists (Alibaba cluster-trace-gpu-v2023 CSVs). Only the columns the
// FGD simulator uses are read; qos, phase and times are ignored because pods never depart.
import { parse } from 'csv-parse/sync';

export interface TraceNode {
  readonly name: string;
  readonly cpuMilli: number;
  readonly memoryMib: number;
  readonly gpus: number;
  readonly model: string;
}

export interface TracePod {
  readonly name: string;
  readonly cpuMilli: number;
  readonly memoryMib: number;
  readonly numGpu: number;
  /** Per-GPU share: 1000 whole, 1..999 a share of one GPU, 0 without GPU. */
  readonly gpuMilli: number;
  /** Allowed GPU models; empty = any. */
  readonly gpuSpec: readonly string[];
}

type Row = Record<string, string>;

function readRows(text: string, file: string, required: readonly string[]): Row[] {
  const rows = parse<Row>(text, { columns: true, skip_empty_lines: true, trim: true });
  const first = rows[0];
  if (first === undefined) throw new Error(`${file}: no data rows`);
  const missing = required.filter((c) => !(c in first));
  if (missing.length > 0) throw new Error(`${file}: missing column(s) ${missing.join(', ')}`);
  return rows;
}

function count(row: Row, column: string, file: string, line: number): number {
  const raw = row[column] ?? '';
  const value = Number(raw);
  if (raw === '' || !Number.isSafeInteger(value) || value < 0) {
    throw new Error(`${file} row ${line}: ${column} must be a non-negative integer, got "${raw}"`);
  }
  return value;
}

export function parseNodeCsv(text: string, file = 'nodes'): TraceNode[] {
  const rows = readRows(text, file, ['sn', 'cpu_milli', 'memory_mib', 'gpu', 'model']);
  return rows.map((row, i) => ({
    name: row['sn'] ?? '',
    cpuMilli: count(row, 'cpu_milli', file, i + 2),
    memoryMib: count(row, 'memory_mib', file, i + 2),
    gpus: count(row, 'gpu', file, i + 2),
    model: row['model'] ?? '',
  }));
}

export function parsePodCsv(text: string, file = 'pods'): TracePod[] {
  const rows = readRows(text, file, ['name', 'cpu_milli', 'memory_mib', 'num_gpu', 'gpu_milli']);
  return rows.map((row, i) => {
    const line = i + 2;
    const numGpu = count(row, 'num_gpu', file, line);
    const gpuMilli = count(row, 'gpu_milli', file, line);
    if (gpuMilli > 1000) throw new Error(`${file} row ${line}: gpu_milli ${gpuMilli} exceeds 1000`);
    if (gpuMilli < 1000 && numGpu > 1) {
      throw new Error(`${file} row ${line}: a GPU share (${gpuMilli}) with num_gpu ${numGpu}`);
    }
    const spec = row['gpu_spec'] ?? '';
    return {
      name: row['name'] ?? '',
      cpuMilli: count(row, 'cpu_milli', file, line),
      memoryMib: count(row, 'memory_mib', file, line),
      numGpu: gpuMilli === 0 ? 0 : numGpu,
      gpuMilli: numGpu === 0 ? 0 : gpuMilli,
      gpuSpec: spec === '' ? [] : spec.split('|').filter((s) => s !== ''),
    };
  });
}
