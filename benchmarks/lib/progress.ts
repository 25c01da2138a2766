// A progress bar on stderr (stdout stays clean for --json).
import { Presets, SingleBar } from 'cli-progress';

export interface Progress {
  setTotal(total: number): void;
  update(value: number, status?: string): void;
  increment(status?: string): void;
  stop(): void;
}

export function progressBar(label: string, total: number): Progress {
  const bar = new SingleBar(
    {
      format: `${label} [{bar}] {value}/{total} {status}`,
      stream: process.stderr,
      hideCursor: true,
      etaBuffer: 50,
    },
    Presets.shades_classic,
  );
  bar.start(total, 0, { status: '' });
  return {
    setTotal: (t) => bar.setTotal(t),
    update: (v, status = '') => bar.update(v, { status }),
    increment: (status = '') => bar.increment(1, { status }),
    stop: () => bar.stop(),
  };
}

/** Writes a line to stderr without tearing the bar (it redraws on its next update). */
export function note(line: string): void {
  process.stderr.write(`\n${line}\n`);
}
