// Takes a Go CPU profile from a bench kube-scheduler (its pprof served on loopback with a
// self-signed certificate, anonymous access limited to the profiling paths) into benchmarks/results/.
// Read it with `go tool pprof -top <file>`.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Agent, fetch } from 'undici';
import { REPO_ROOT } from '../../testbed/versions.js';

/** Profiles `seconds` of CPU from now; resolves with the file written. */
export async function captureSchedulerProfile(
  baseUrl: string,
  profile: string,
  seconds: number,
): Promise<string> {
  // The scheduler's serving certificate is self-signed for this run; the request never leaves loopback.
  const dispatcher = new Agent({ connect: { rejectUnauthorized: false } });
  try {
    const response = await fetch(`${baseUrl}/debug/pprof/profile?seconds=${seconds}`, { dispatcher });
    if (!response.ok) throw new Error(`${baseUrl}: pprof answered HTTP ${response.status}`);
    const file = join(REPO_ROOT, 'benchmarks/results', `kube-scheduler-${profile}.pprof`);
    await writeFile(file, Buffer.from(await response.arrayBuffer()));
    return file;
  } finally {
    await dispatcher.close();
  }
}
