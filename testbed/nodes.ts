// Creates the fabric's Node objects through the API and waits until KWOK reports them Ready.
import { ApiException, CoreV1Api, type KubeConfig, type V1Node } from '@kubernetes/client-node';
import type { FabricNode } from './fabric.js';
import { FABRIC_NODE_LABEL, FABRIC_NODE_LABEL_VALUE } from './fabric.js';

const CREATE_CONCURRENCY = 8;
const MAX_NODES = 5000;

/** Runs `fn` over `items` with at most `limit` calls in flight; rejects on the first failure. */
export async function forEachBounded<T>(
  items: readonly T[],
  limit: number,
  fn: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const item = items[next++] as T;
      await fn(item);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

/** Creates every fabric node; nodes that already exist are left as they are (idempotent). */
export async function createFabricNodes(kc: KubeConfig, nodes: readonly FabricNode[]): Promise<void> {
  if (nodes.length > MAX_NODES)
    throw new Error(`fabric has ${nodes.length} nodes; the harness caps at ${MAX_NODES}`);
  const core = kc.makeApiClient(CoreV1Api);
  await forEachBounded(nodes, CREATE_CONCURRENCY, async (node) => {
    try {
      await core.createNode({ body: node.manifest });
    } catch (err) {
      if (!(err instanceof ApiException && err.code === 409)) throw err;
    }
  });
}

/** Ready, no taints, and allocatable GPUs as the fabric declares. */
export function nodeIsUsable(node: V1Node, gpus: number): boolean {
  const ready = node.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
  const untainted = (node.spec?.taints ?? []).length === 0;
  return ready && untainted && node.status?.allocatable?.['nvidia.com/gpu'] === String(gpus);
}

/** Polls until every fabric node is usable; throws naming the laggards after `timeoutMs`. */
export async function waitFabricReady(
  kc: KubeConfig,
  nodes: readonly FabricNode[],
  timeoutMs: number,
): Promise<void> {
  const core = kc.makeApiClient(CoreV1Api);
  const deadline = Date.now() + timeoutMs;
  const labelSelector = `${FABRIC_NODE_LABEL}=${FABRIC_NODE_LABEL_VALUE}`;
  for (;;) {
    const listed = new Map((await core.listNode({ labelSelector })).items.map((n) => [n.metadata?.name, n]));
    const waiting = nodes.filter((want) => {
      const got = listed.get(want.name);
      return got === undefined || !nodeIsUsable(got, want.gpus);
    });
    if (waiting.length === 0) return;
    if (Date.now() > deadline) {
      const names = waiting.slice(0, 5).map((n) => n.name);
      throw new Error(
        `${waiting.length} fabric nodes not Ready/untainted after ${timeoutMs} ms: ${names.join(', ')}…`,
      );
    }
    await new Promise((r) => setTimeout(r, 500));
  }
}
