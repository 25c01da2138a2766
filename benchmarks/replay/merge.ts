// `npm run bench:replay-merge -- a b ...`: one table from several bench:replay outputs (for example
// the shipped traces and the generated variants, run separately so the shipped run's time stands
// alone). Writes benchmarks/results/replay-matrix.json and .md.
import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { formatMatrix, type MatrixRow, type RunInfo } from './matrix-table.js';

const resultsDir = resolve(import.meta.dirname, '..', 'results');
const names = process.argv.slice(2).filter((a) => a !== '--');
if (names.length === 0)
  throw new Error('name the outputs to merge, e.g. replay-matrix-shipped replay-matrix-generated');
const parts = names.map(
  (n) =>
    JSON.parse(readFileSync(join(resultsDir, `${n}.json`), 'utf8')) as { run: RunInfo; rows: MatrixRow[] },
);
const runs = parts.map((p) => p.run);
const rows = parts.flatMap((p) => p.rows);
writeFileSync(join(resultsDir, 'replay-matrix.json'), JSON.stringify({ runs, rows }, null, 2) + '\n');
writeFileSync(join(resultsDir, 'replay-matrix.md'), formatMatrix(rows, runs) + '\n');
process.stdout.write(formatMatrix(rows, runs) + '\n');
