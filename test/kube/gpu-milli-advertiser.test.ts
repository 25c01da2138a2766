import { ApiException, type ConfigurationOptions, type V1Node } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import {
  advertises,
  GpuMilliAdvertiser,
  wantedGpuMilli,
  type GpuMilliAdvertiserOptions,
  type NodeStatusApi,
} from '../../src/kube/gpu-milli-advertiser.js';
import { recordingLogger } from '../fakes/kube-logger.js';
import { contentTypeOf } from '../fakes/kube-pod-api.js';

const MILLI = 'phalanx.dev/gpu-milli';
type Quantities = Record<string, string>;

/** The API server's canonical form of a whole quantity: 8000 → "8k", as it returns it. */
function canonical(value: string): string {
  const n = Number(value);
  return n >= 1000 && n % 1000 === 0 ? `${n / 1000}k` : value;
}

/** Nodes with their status; merge patches of nodes/status applied as the API server does. */
class FakeNodes implements NodeStatusApi {
  readonly nodes = new Map<string, V1Node>();
  readonly calls: { name: string; body: unknown; contentType: string | undefined }[] = [];
  /** Statuses the next patches fail with, in order. */
  readonly failures: number[] = [];
  /** When set, each patch waits for this gate before it answers. */
  gate: Promise<void> | undefined;
  inFlight = 0;
  maxInFlight = 0;

  add(name: string, gpus: string | undefined, extra: Quantities = {}): V1Node {
    const resources: Quantities = {
      cpu: '64',
      ...(gpus === undefined ? {} : { 'nvidia.com/gpu': gpus }),
      ...extra,
    };
    const node: V1Node = {
      metadata: { name },
      status: { capacity: { ...resources }, allocatable: { ...resources } },
    };
    this.nodes.set(name, node);
    return node;
  }

  patchNodeStatus = async (
    p: { name: string; body: unknown },
    options?: ConfigurationOptions,
  ): Promise<V1Node> => {
    this.calls.push({
      name: p.name,
      body: structuredClone(p.body),
      contentType: await contentTypeOf(options),
    });
    this.inFlight += 1;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    try {
      if (this.gate !== undefined) await this.gate;
      const status = this.failures.shift();
      if (status !== undefined) throw new ApiException(status, 'x', { message: `failed ${status}` }, {});
      const node = this.nodes.get(p.name);
      if (node === undefined) throw new ApiException(404, 'not found', { message: 'not found' }, {});
      const patch = (p.body as { status: Record<'capacity' | 'allocatable', Record<string, string | null>> })
        .status;
      for (const field of ['capacity', 'allocatable'] as const) {
        const list = (node.status![field] ??= {});
        for (const [key, value] of Object.entries(patch[field])) {
          if (value === null) delete list[key];
          else list[key] = canonical(value);
        }
      }
      return structuredClone(node);
    } finally {
      this.inFlight -= 1;
    }
  };
}

function setup(options: Partial<GpuMilliAdvertiserOptions> = {}) {
  const api = new FakeNodes();
  const logger = recordingLogger();
  const counts = { written: 0, failed: 0 };
  const advertiser = new GpuMilliAdvertiser({
    api,
    logger,
    sleep: () => Promise.resolve(),
    onWritten: () => (counts.written += 1),
    onFailed: () => (counts.failed += 1),
    ...options,
  });
  return { api, logger, counts, advertiser };
}

const node = (api: FakeNodes, name: string): V1Node => structuredClone(api.nodes.get(name)!);

describe('wantedGpuMilli / advertises', () => {
  it('reads the devices as the ledger does: allocatable nvidia.com/gpu, else capacity', () => {
    expect(
      wantedGpuMilli({ metadata: { name: 'a' }, status: { allocatable: { 'nvidia.com/gpu': '8' } } }),
    ).toBe(8000);
    expect(wantedGpuMilli({ metadata: { name: 'b' }, status: { capacity: { 'nvidia.com/gpu': '4' } } })).toBe(
      4000,
    );
    expect(wantedGpuMilli({ metadata: { name: 'c' }, status: { allocatable: { cpu: '8' } } })).toBeNull();
    expect(
      wantedGpuMilli({ metadata: { name: 'd' }, status: { allocatable: { 'nvidia.com/gpu': '1.5' } } }),
    ).toBe(undefined);
  });

  it('compares quantities, not strings, in both capacity and allocatable', () => {
    const status = (capacity: string | undefined, allocatable: string | undefined) => ({
      status: {
        capacity: capacity === undefined ? {} : { [MILLI]: capacity },
        allocatable: allocatable === undefined ? {} : { [MILLI]: allocatable },
      },
    });
    expect(advertises(status('8k', '8000'), 8000)).toBe(true);
    expect(advertises(status('8k', undefined), 8000)).toBe(false);
    expect(advertises(status('4k', '4k'), 8000)).toBe(false);
    expect(advertises(status(undefined, undefined), null)).toBe(true);
    expect(advertises(status('0', undefined), null)).toBe(false);
    expect(advertises(status('junk', 'junk'), 8000)).toBe(false);
  });
});

describe('GpuMilliAdvertiser', () => {
  it('writes GPUs × 1000 into capacity and allocatable with a merge patch of nodes/status', async () => {
    const { api, advertiser, counts } = setup();
    advertiser.start();
    advertiser.nodeSeen(api.add('gpu-1', '8'));
    await advertiser.idle();
    expect(api.calls).toEqual([
      {
        name: 'gpu-1',
        body: { status: { capacity: { [MILLI]: '8000' }, allocatable: { [MILLI]: '8000' } } },
        contentType: 'application/merge-patch+json',
      },
    ]);
    expect(api.nodes.get('gpu-1')?.status?.capacity).toEqual({
      cpu: '64',
      'nvidia.com/gpu': '8',
      [MILLI]: '8k',
    });
    expect(api.nodes.get('gpu-1')?.status?.allocatable?.[MILLI]).toBe('8k');
    expect(counts).toEqual({ written: 1, failed: 0 });
    expect(advertiser.pending()).toBe(0);
  });

  it('writes only when the status differs: its own write coming back, a correct node and a CPU node are left alone', async () => {
    const { api, advertiser } = setup();
    advertiser.start();
    advertiser.nodeSeen(api.add('gpu-1', '8'));
    await advertiser.idle();
    advertiser.nodeSeen(node(api, 'gpu-1')); // the watch event of the write itself ("8k")
    advertiser.nodeSeen(api.add('gpu-2', '4', { [MILLI]: '4k' }));
    advertiser.nodeSeen(api.add('cpu-1', undefined));
    await advertiser.idle();
    expect(api.calls.map((c) => c.name)).toEqual(['gpu-1']);
  });

  it('corrects a stale value, and removes the resource from a node whose GPUs went to 0', async () => {
    const { api, advertiser } = setup();
    advertiser.start();
    advertiser.nodeSeen(api.add('gpu-1', '8', { [MILLI]: '4k' }));
    advertiser.nodeSeen(api.add('was-gpu', '0', { [MILLI]: '8k' }));
    await advertiser.idle();
    expect(api.calls.map((c) => [c.name, c.body])).toEqual([
      ['gpu-1', { status: { capacity: { [MILLI]: '8000' }, allocatable: { [MILLI]: '8000' } } }],
      ['was-gpu', { status: { capacity: { [MILLI]: null }, allocatable: { [MILLI]: null } } }],
    ]);
    expect(api.nodes.get('was-gpu')?.status?.capacity).toEqual({ cpu: '64', 'nvidia.com/gpu': '0' });
    expect(api.nodes.get('was-gpu')?.status?.allocatable).toEqual({ cpu: '64', 'nvidia.com/gpu': '0' });
  });

  it('retries a failed write with backoff and counts each failure', async () => {
    const delays: number[] = [];
    const { api, advertiser, counts } = setup({
      initialDelayMs: 100,
      sleep: (ms) => {
        delays.push(ms);
        return Promise.resolve();
      },
    });
    api.failures.push(503, 500, 429);
    advertiser.start();
    advertiser.nodeSeen(api.add('gpu-1', '2'));
    await advertiser.idle();
    expect(api.nodes.get('gpu-1')?.status?.allocatable?.[MILLI]).toBe('2k');
    expect(delays).toEqual([100, 200, 400]);
    expect(counts).toEqual({ written: 1, failed: 3 });
  });

  it('gives up after its attempts with an error log, and tries again on the next node event', async () => {
    const { api, advertiser, logger } = setup({ attempts: 2 });
    api.failures.push(500, 500);
    advertiser.start();
    advertiser.nodeSeen(api.add('gpu-1', '2'));
    await advertiser.idle();
    expect(api.calls).toHaveLength(2);
    expect(api.nodes.get('gpu-1')?.status?.capacity?.[MILLI]).toBeUndefined();
    expect(logger.lines.filter((l) => l.level === 'error').map((l) => l.fields['node'])).toEqual(['gpu-1']);
    expect(advertiser.pending()).toBe(1);

    advertiser.nodeSeen(node(api, 'gpu-1'));
    await advertiser.idle();
    expect(api.nodes.get('gpu-1')?.status?.capacity?.[MILLI]).toBe('2k');
    expect(advertiser.pending()).toBe(0);
  });

  it('drops a node that is gone (404) without retrying', async () => {
    const { api, advertiser } = setup();
    advertiser.start();
    const gone = api.add('gone', '8');
    api.nodes.delete('gone');
    advertiser.nodeSeen(gone);
    await advertiser.idle();
    expect(api.calls).toHaveLength(1);
    expect(advertiser.pending()).toBe(0);
  });

  it('writes nothing until it leads, then every node that differs; stopped, it writes no more', async () => {
    const { api, advertiser } = setup();
    advertiser.nodeSeen(api.add('gpu-1', '8'));
    advertiser.nodeSeen(api.add('gpu-2', '8', { [MILLI]: '8k' }));
    await advertiser.idle();
    expect(api.calls).toHaveLength(0);
    advertiser.start();
    await advertiser.idle();
    expect(api.calls.map((c) => c.name)).toEqual(['gpu-1']);
    advertiser.stop();
    advertiser.nodeSeen(api.add('gpu-3', '4'));
    await advertiser.idle();
    expect(api.calls.map((c) => c.name)).toEqual(['gpu-1']);
    expect(advertiser.pending()).toBe(1);
  });

  it('forgets a deleted node before writing it', async () => {
    const { api, advertiser } = setup();
    advertiser.nodeSeen(api.add('gpu-1', '8'));
    advertiser.nodeDeleted('gpu-1');
    advertiser.start();
    await advertiser.idle();
    expect(api.calls).toHaveLength(0);
  });

  it('keeps at most `concurrency` writes in flight over a large first pass, writing each node once', async () => {
    const { api, advertiser } = setup({ concurrency: 4 });
    let open!: () => void;
    api.gate = new Promise((resolve) => (open = resolve));
    for (let i = 0; i < 50; i += 1) advertiser.nodeSeen(api.add(`gpu-${i}`, '8'));
    advertiser.start();
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(api.inFlight).toBe(4);
    open();
    await advertiser.idle();
    expect(api.maxInFlight).toBe(4);
    expect(api.calls).toHaveLength(50);
    expect(new Set(api.calls.map((c) => c.name)).size).toBe(50);
    expect([...api.nodes.values()].every((n) => n.status?.capacity?.[MILLI] === '8k')).toBe(true);
  });

  it('writes the newer value when a node changes while its write is in flight', async () => {
    const { api, advertiser } = setup();
    let open!: () => void;
    api.gate = new Promise((resolve) => (open = resolve));
    advertiser.start();
    advertiser.nodeSeen(api.add('gpu-1', '8'));
    await new Promise((resolve) => setTimeout(resolve, 10));
    const shrunk = node(api, 'gpu-1');
    shrunk.status!.allocatable!['nvidia.com/gpu'] = '4';
    advertiser.nodeSeen(shrunk);
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(api.maxInFlight).toBe(1);
    open();
    await advertiser.idle();
    expect(
      api.calls.map((c) => (c.body as { status: { capacity: Quantities } }).status.capacity[MILLI]),
    ).toEqual(['8000', '4000']);
  });
});
