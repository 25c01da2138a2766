// Keeps src/core pure (docs/architecture.md, "What is pure"): no packages, no node built-ins, no
// process, no wall clock, no global randomness, no timers. Cheap and independent of the lint configuration.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

const coreDir = join(import.meta.dirname, '../../src/core');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return path.endsWith('.ts') ? [path] : [];
  });
}

const forbidden: [RegExp, string][] = [
  [/from\s+['"](?!\.)/, 'imports a package or built-in'],
  [/import\(\s*['"](?!\.)/, 'dynamically imports a package or built-in'],
  [/\bprocess\./, 'touches process'],
  [/Date\.now\s*\(/, 'reads the wall clock'],
  [/new Date\(\s*\)/, 'reads the wall clock'],
  [/Math\.random\s*\(/, 'uses global randomness'],
  [/\b(setTimeout|setInterval)\s*\(/, 'schedules timers'],
];

describe('src/core purity', () => {
  const files = sourceFiles(coreDir);
  it('has source files to check', () => {
    expect(files.length).toBeGreaterThan(0);
  });
  it.each(files.map((f) => [relative(coreDir, f), f]))('%s does no I/O and reads no clock', (_name, file) => {
    const text = readFileSync(file, 'utf8');
    const broken = forbidden.filter(([re]) => re.test(text)).map(([, why]) => why);
    expect(broken).toEqual([]);
  });
});
