// The occupancy map (issue 19) in a real browser against the local cluster: headless Chromium (the
// Debian package) loads /map from Phalanx's admin port while a gang, fractional replicas and a
// whole-GPU pod run, one node is cordoned, a gang waits for a clique that cannot hold it and a pod
// Phalanx does not schedule waits too. The page must show every placement the API server records
// (pod names on the node and device of their decision annotation), the gang outlined on its nodes,
// the waiting gang with its reason and not the foreign pod; a pod created afterwards must appear
// without a reload. `phalanx map` prints the same placements, and the fabric metrics agree with
// the bound pods. The screenshot goes to docs/images/map.png (shown in the README).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PatchStrategy, setHeaderOptions, type V1Node } from '@kubernetes/client-node';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runMapCommand } from '../../src/cli/map-command.js';
import { selectedK8sVersion, REPO_ROOT } from '../../testbed/versions.js';
import { boundGpuPods, isRunning, podsWithLabel, type BoundGpuPod } from '../../testbed/observe.js';
import { waitFor } from '../../testbed/wait.js';
import { annotatedPod, fractionalDeployment, gangPod, PAUSE_IMAGE } from '../../testbed/workloads.js';
import { useE2E } from './support/e2e-cluster.js';

const CLUSTER = 'phalanx-e2e-map';
const NS = 'map-e2e';
const CLIQUE = 'nvidia.com/gpu.clique';
const GPUS_PER_NODE = 8;
const CHROMIUM = '/usr/bin/chromium';
const SCREENSHOT = join(REPO_ROOT, 'docs/images/map.png');

const e2e = useE2E(CLUSTER, { namespaces: [NS] });
const mergePatch = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);
let browser: BrowserContext;
let page: Page;
let profile: string;
let cordoned: string;

/** The little of a DOM element the checks read inside the page (the test itself has no DOM types). */
interface DomElement {
  getAttribute(name: string): string | null;
  closest(selector: string): DomElement | null;
}

const topologyRequired = (pod: ReturnType<typeof gangPod>, level: string) => ({
  ...pod,
  metadata: {
    ...pod.metadata,
    annotations: { ...pod.metadata?.annotations, 'phalanx.dev/topology-required': level },
  },
});

async function ours(): Promise<BoundGpuPod[]> {
  return (await boundGpuPods(e2e.core)).filter((p) => p.namespace === NS);
}

async function nodes(): Promise<V1Node[]> {
  return (await e2e.core.listNode()).items.filter((n) => n.metadata?.labels?.[CLIQUE] !== undefined);
}

beforeAll(async () => {
  const names = (await nodes()).map((n) => n.metadata?.name ?? '').sort();
  cordoned = names[names.length - 1] ?? '';
  await e2e.core.patchNode({ name: cordoned, body: { spec: { unschedulable: true } } }, mergePatch);
  // Two 8-GPU members in one clique (a clique has 2 nodes), three that cannot share one.
  for (let i = 0; i < 2; i++) {
    const body = topologyRequired(gangPod(`train-${i}`, NS, 'train', 2, GPUS_PER_NODE), CLIQUE);
    await e2e.core.createNamespacedPod({ namespace: NS, body });
  }
  for (let i = 0; i < 3; i++) {
    const body = topologyRequired(gangPod(`toobig-${i}`, NS, 'toobig', 3, GPUS_PER_NODE), CLIQUE);
    await e2e.core.createNamespacedPod({ namespace: NS, body });
  }
  await e2e.apps.createNamespacedDeployment({
    namespace: NS,
    body: fractionalDeployment('infer', NS, 3, '0.5'),
  });
  await e2e.core.createNamespacedPod({ namespace: NS, body: annotatedPod('single', NS, {}, 2) });
  // Not Phalanx's: the default scheduler's CPU pod that no node matches. The map must not list it.
  await e2e.core.createNamespacedPod({
    namespace: NS,
    body: {
      metadata: { name: 'elsewhere' },
      spec: {
        nodeSelector: { 'example.com/no-such-pool': 'x' },
        containers: [{ name: 'main', image: PAUSE_IMAGE }],
        terminationGracePeriodSeconds: 0,
      },
    },
  });
  await waitFor(
    'the gang, 3 shares and the whole-GPU pod Running',
    async () => {
      const pods = await podsWithLabel(e2e.core, NS, 'gang=train');
      const infer = await podsWithLabel(e2e.core, NS, 'app=infer');
      const single = await e2e.core.readNamespacedPod({ name: 'single', namespace: NS });
      const running = [...pods, ...infer, single].filter(isRunning).length;
      return running === 6 && (await ours()).length === 6 ? true : undefined;
    },
    { timeoutMs: 180_000 },
  );
  profile = mkdtempSync(join(tmpdir(), 'phalanx-map-chromium-'));
  browser = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    viewport: { width: 1440, height: 720 },
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  page = await browser.newPage();
  await page.goto(`${e2e.phalanx.adminUrl}/map/`);
});

afterAll(async () => {
  await browser?.close();
  if (profile) rmSync(profile, { recursive: true, force: true });
});

/** The map's share cells of a pod on one node's device. */
function cell(node: string, index: number, pod: string) {
  return page.locator(`[data-node="${node}"] .gpu[data-index="${index}"] .share[data-pod="${NS}/${pod}"]`);
}

describe(`the occupancy map in a browser (Kubernetes v${selectedK8sVersion()})`, () => {
  it('shows every pod on the node and device the API server records', async () => {
    const bound = await ours();
    expect(bound.map((p) => p.name).sort()).toEqual(expect.arrayContaining(['single', 'train-0', 'train-1']));
    for (const pod of bound) {
      for (const d of pod.devices) {
        await cell(pod.node, d.index, pod.name).waitFor({ timeout: 30_000 });
        expect(
          await cell(pod.node, d.index, pod.name).count(),
          `${pod.name} on ${pod.node} GPU ${d.index}`,
        ).toBe(1);
      }
    }
    // Nothing is drawn where the API server has no decision: one share cell per device share.
    const shares = bound.reduce((n, p) => n + p.devices.length, 0);
    expect(await page.locator(`.share[data-pod^="${NS}/"]`).count()).toBe(shares);
    expect(await page.locator(`[data-node="${cordoned}"]`).getAttribute('class')).toContain('cordoned');
  });

  it('outlines the gang on its nodes, inside one clique, and lists what waits with its reason', async () => {
    const members = (await ours()).filter((p) => p.name.startsWith('train-'));
    const gangNodes = [...new Set(members.map((m) => m.node))].sort();
    const outlined = await page
      .locator(`[data-gangs~="${NS}/train"]`)
      .evaluateAll((els: readonly DomElement[]) => els.map((e) => e.getAttribute('data-node') ?? '').sort());
    expect(outlined).toEqual(gangNodes);
    const cliques = await page
      .locator(`[data-gangs~="${NS}/train"]`)
      .evaluateAll((els: readonly DomElement[]) =>
        els.map((e) => e.closest('[data-domain]')?.getAttribute('data-domain')),
      );
    expect(new Set(cliques).size).toBe(1);
    await expect.poll(() => page.locator(`li.gang[data-gang="${NS}/train"]`).innerText()).toContain('clique');
    const waiting = page.locator(`li[data-pending="${NS}/toobig"]`);
    await waiting.waitFor({ timeout: 60_000 });
    expect(await waiting.innerText()).toMatch(/3\/3 pending/);
    expect((await waiting.locator('.reason').innerText()).trim()).not.toBe('');
    expect(await page.locator(`li[data-pending="${NS}/elsewhere"]`).count()).toBe(0);
  });

  it('shows a pod created later without a reload', async () => {
    await page.evaluate(() => {
      (globalThis as unknown as { phalanxMark: number }).phalanxMark = 1;
    });
    await e2e.core.createNamespacedPod({
      namespace: NS,
      body: annotatedPod('late', NS, { 'phalanx.dev/gpu-fraction': '0.25' }),
    });
    const late = await waitFor('late bound', async () => (await ours()).find((p) => p.name === 'late'), {
      timeoutMs: 60_000,
    });
    // Bound in the API server, so committed on the page (not a reservation) and no longer pending.
    const shown = cell(late.node, late.devices[0]?.index ?? -1, 'late');
    await expect
      .poll(() => shown.getAttribute('class').catch(() => null), { timeout: 30_000 })
      .toMatch(/committed/);
    await expect
      .poll(() => page.locator(`li[data-pending="${NS}/late"]`).count(), { timeout: 30_000 })
      .toBe(0);
    expect(await page.evaluate(() => (globalThis as unknown as { phalanxMark?: number }).phalanxMark)).toBe(
      1,
    );
    await page.screenshot({ path: SCREENSHOT, fullPage: false });
  });

  it('prints the same placements as text (phalanx map)', async () => {
    const text = await runMapCommand({ url: e2e.phalanx.adminUrl, open: [], json: false });
    // "<pod> on <node> GPU <i>" for every device line, read back from the text.
    const printed = new Set<string>();
    let node = '';
    for (const line of text.split('\n')) {
      const head = /^\s*node (\S+)/.exec(line);
      if (head) node = head[1] ?? '';
      const device = /^\s+GPU (\d+) \w+ \d+m: (.*)$/.exec(line);
      if (!device) continue;
      for (const holder of (device[2] ?? '').split('; '))
        printed.add(`${holder.split(' ')[0]} on ${node} GPU ${device[1]}`);
    }
    for (const pod of await ours()) {
      for (const d of pod.devices)
        expect(printed, text).toContain(`${NS}/${pod.name} on ${pod.node} GPU ${d.index}`);
    }
    expect(text).toContain(`gang ${NS}/toobig (3/3 members pending)`);
    expect(text).not.toContain(`${NS}/elsewhere`);
  });

  it('exports per-clique free whole GPUs that match the bound pods', async () => {
    const bound = await ours();
    const used = new Map<string, Set<number>>();
    for (const p of await boundGpuPods(e2e.core)) {
      const set = used.get(p.node) ?? new Set<number>();
      for (const d of p.devices) set.add(d.index);
      used.set(p.node, set);
    }
    expect(bound.length).toBeGreaterThan(0);
    const expected = new Map<string, number>();
    for (const node of await nodes()) {
      const clique = node.metadata?.labels?.[CLIQUE] ?? '';
      const free = node.spec?.unschedulable
        ? 0
        : GPUS_PER_NODE - (used.get(node.metadata?.name ?? '')?.size ?? 0);
      expected.set(clique, (expected.get(clique) ?? 0) + free);
    }
    const exported = async (): Promise<Map<string, number>> => {
      const metrics = await (await fetch(`${e2e.phalanx.adminUrl}/metrics`)).text();
      const found = new Map<string, number>();
      for (const m of metrics.matchAll(/^phalanx_fabric_gpus_free_whole\{([^}]*)\} (\d+)$/gm)) {
        const pairs = [...(m[1] ?? '').matchAll(/(\w+)="([^"]*)"/g)];
        const labels = new Map(pairs.map((l): [string, string] => [l[1] ?? '', l[2] ?? '']));
        if (labels.get('level') === CLIQUE) found.set(labels.get('domain') ?? '', Number(m[2]));
      }
      return found;
    };
    // The informer may trail the API server by a moment.
    await expect.poll(exported, { timeout: 20_000 }).toEqual(expected);
  });
});
