// V8's garbage collector tuned for a long-running extender. The heap holds the cluster's state (~50 MB
// at 4896 nodes) while every request reads tens of kilobytes into fresh socket buffers, which V8
// counts toward its global limit. With its dynamic heap growing factor, V8 started a full
// mark-compact after only ~4 MB of growth: four per 1000 pods at 4896 nodes, each with ~25 ms of
// incremental marking steps run on the main thread between and inside requests (the extender's
// slowest round trips). Letting the old generation double between full collections (at most 2× a
// heap far below the Deployment's memory limit) measured, over five alternated pairs of
// `bench:extender --nodes 5000 --pods 1000`: round trip p99 6.5-10.5 → 4.1-8.4 ms, service p99
// 1.52-1.69 → 1.18-1.60 ms, CPU per pod 0.68-0.97 → 0.49-0.76 ms.
//
// The young generation is bounded too. Node 24 lets it grow to 64 MB semi-spaces; the extender
// allocates ~50 KB of short-lived objects per pod, so a scavenge came only every ~1300 pods. Each
// request body reaches JavaScript as copies of Node's read buffers (off-heap, ~170 KB per pod at
// 4896 nodes): held by young objects that no scavenge frees, they piled up until the external
// memory limit started a full incremental mark of the whole heap every ~3 s instead, with marking
// steps of up to 36 ms on the main thread. With 4 MB semi-spaces a scavenge (0.5-3 ms) frees them
// every ~80 pods and no full collection ran over 1000 pods (`bench:extender`, same runs alternated:
// CPU per pod 1.33-1.70 → 1.17-1.30 ms at 4896 nodes, 3.6-3.9 → 1.9-2.3 ms at 14 976 nodes, where
// service p99 went 10.9-18.4 → 5.7-5.9 ms). V8 sizes the young generation once, at start, so this
// one is a command-line option, not a flag set from here.
import { setFlagsFromString } from 'node:v8';

/** Old generation growth allowed between full collections, in percent of its size after the last. */
export const HEAP_GROWING_PERCENT = 100;

/** Young generation semi-space bound, in MB (see above). */
export const MAX_SEMI_SPACE_MB = 4;

/** Node options `phalanx serve` starts with: the image's entry point, `npm run serve`, the test beds. */
export const SERVE_NODE_OPTIONS: readonly string[] = [`--max-semi-space-size=${MAX_SEMI_SPACE_MB}`];

/**
 * Applies the tuning that can be set at run time (V8 reads the growing factor at each collection).
 * Returns a warning when the process was started without the young-generation bound.
 */
export function tuneGarbageCollector(
  execArgv: readonly string[] = process.execArgv,
  nodeOptions: string = process.env['NODE_OPTIONS'] ?? '',
): string | undefined {
  setFlagsFromString(`--heap-growing-percent=${HEAP_GROWING_PERCENT}`);
  const bounded = [...execArgv, ...nodeOptions.split(/\s+/)].some((option) =>
    /^--max[-_]semi[-_]space[-_]size(=|$)/.test(option),
  );
  return bounded
    ? undefined
    : `node was started without ${SERVE_NODE_OPTIONS.join(' ')} (the image's entry point passes it): ` +
        'expect full collections every few seconds under load and slower round trips';
}
