import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MAX_SEMI_SPACE_MB, SERVE_NODE_OPTIONS, tuneGarbageCollector } from '../../src/cli/gc-tuning.js';

const repo = join(import.meta.dirname, '..', '..');

describe('tuneGarbageCollector', () => {
  it('warns, naming the option, when node started without the young-generation bound', () => {
    const warning = tuneGarbageCollector(['--enable-source-maps'], '--max-old-space-size=2048');
    expect(warning).toContain(`--max-semi-space-size=${MAX_SEMI_SPACE_MB}`);
  });

  it.each([
    [['--max-semi-space-size=4'], ''],
    [['--max-semi-space-size', '8'], ''],
    [[], '--enable-source-maps --max_semi_space_size=2'],
  ])('is quiet when the bound is given (argv %j, NODE_OPTIONS %j)', (argv, nodeOptions) => {
    expect(tuneGarbageCollector(argv, nodeOptions)).toBeUndefined();
  });

  it('does not take a longer option of a similar name for the bound', () => {
    expect(tuneGarbageCollector(['--max-semi-space-size-extra=4'], '')).toBeDefined();
  });
});

describe('SERVE_NODE_OPTIONS', () => {
  it('bounds the young generation of a node started with them', () => {
    // Garbage enough to grow an unbounded young generation well past the bound.
    const script =
      "const v8 = require('node:v8'); let keep = [];" +
      'for (let i = 0; i < 2e6; i++) { keep.push({ i, a: [i] }); if (keep.length > 1e5) keep = []; }' +
      "console.log(v8.getHeapSpaceStatistics().find((s) => s.space_name === 'new_space').space_size);";
    const newSpace = (options: readonly string[]): number =>
      Number(execFileSync(process.execPath, [...options, '-e', script], { encoding: 'utf8' }).trim());
    const bound = 2 * MAX_SEMI_SPACE_MB * 2 ** 20;
    expect(newSpace(SERVE_NODE_OPTIONS)).toBeLessThanOrEqual(bound);
    // The check above can fail: without the options the same garbage grows it past the bound.
    expect(newSpace([])).toBeGreaterThan(bound);
  });

  it('are what the image, `npm run serve` and the `phalanx` command start node with', () => {
    const options = SERVE_NODE_OPTIONS.join(' ');
    const entrypoint = /^ENTRYPOINT (\[.*\])$/m.exec(readFileSync(join(repo, 'Dockerfile'), 'utf8'))?.[1];
    expect(JSON.parse(entrypoint ?? '[]')).toEqual([
      'node',
      '--enable-source-maps',
      ...SERVE_NODE_OPTIONS,
      'dist/cli/main.js',
    ]);
    const { scripts } = JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8')) as {
      scripts: Record<string, string>;
    };
    expect(scripts['serve']).toContain(`node --enable-source-maps ${options} dist/cli/main.js serve`);
    const shebang = readFileSync(join(repo, 'src/cli/main.ts'), 'utf8').split('\n')[0];
    expect(shebang).toBe(`#!/usr/bin/env -S node ${options}`);
  });
});
