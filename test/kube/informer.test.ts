import { afterEach, describe, expect, it } from 'vitest';
import { SupervisedInformer, type InformerOptions } from '../../src/kube/informer.js';
import { FakeClock } from '../fakes/kube-clock.js';
import { recordingLogger } from '../fakes/kube-logger.js';
import { FakeWatchSource, type FakeObject } from '../fakes/kube-watch-source.js';

const running: SupervisedInformer<FakeObject>[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((i) => i.stop()));
});

async function until(cond: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 2_000 && !cond(); i++) await new Promise((resolve) => setImmediate(resolve));
  // Some steps wait on real (short) request deadlines.
  for (let i = 0; i < 200 && !cond(); i++) await new Promise((resolve) => setTimeout(resolve, 5));
  if (!cond()) throw new Error(`timed out waiting for ${what}`);
}

function setup(extra: Partial<InformerOptions<FakeObject>> = {}) {
  const source = new FakeWatchSource();
  const clock = new FakeClock();
  const log: string[] = [];
  const sleeps: number[] = [];
  const restarts: string[] = [];
  const stale: boolean[] = [];
  const logger = recordingLogger();
  const informer = new SupervisedInformer<FakeObject>({
    resource: 'things',
    source,
    clock,
    logger,
    random: () => 1,
    sleep: (ms) => {
      sleeps.push(ms);
      return Promise.resolve();
    },
    handlers: {
      onInitialList: (items) =>
        log.push(`list:${items.map((o) => `${o.metadata.name}=${o.value}`).join(',')}`),
      onAdd: (o) => log.push(`add:${o.metadata.name}=${o.value}`),
      onUpdate: (o, old) => log.push(`update:${o.metadata.name}=${old.value}->${o.value}`),
      onDelete: (o) => log.push(`delete:${o.metadata.name}`),
    },
    hooks: {
      onRestart: (_r, reason) => restarts.push(reason),
      onStale: (_r, s) => stale.push(s),
    },
    ...extra,
  });
  running.push(informer);
  return { source, clock, log, sleeps, restarts, stale, informer, logger };
}

describe('SupervisedInformer', () => {
  it('delivers the first list as one batch, then watch events with the previous object', async () => {
    const t = setup();
    t.source.put('a', '1', false);
    t.informer.start();
    await until(() => t.source.activeWatches === 1, 'watch');
    expect(t.informer.isSynced()).toBe(true);
    t.source.put('b', '1');
    t.source.put('a', '2');
    t.source.remove('b');
    expect(t.log).toEqual(['list:a=1', 'add:b=1', 'update:a=1->2', 'delete:b']);
    expect(t.informer.get('ns', 'a')?.value).toBe('2');
    expect([...t.informer.list()].map((o) => o.metadata.name)).toEqual(['a']);
    expect(t.stale).toEqual([true, false]);
  });

  it('is not synced while the first list fails, retries with growing backoff, then syncs', async () => {
    const t = setup({ initialBackoffMs: 100, maxBackoffMs: 350 });
    t.source.put('a', '1', false);
    const refused = Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
    t.source.listFailures.push(refused, refused, refused, refused);
    t.informer.start();
    await until(() => t.source.activeWatches === 1, 'watch after retries');
    expect(t.source.lists).toBe(5);
    expect(t.sleeps).toEqual([100, 200, 350, 350]);
    expect(t.restarts).toHaveLength(4);
    expect(t.restarts[0]).toContain('ECONNREFUSED');
    expect(t.log).toEqual(['list:a=1']);
    expect(t.informer.isSynced()).toBe(true);
  });

  it('re-lists after a watch error and replays what changed while disconnected', async () => {
    const t = setup();
    t.source.put('a', '1', false);
    t.source.put('b', '1', false);
    t.informer.start();
    await until(() => t.source.activeWatches === 1, 'watch');
    t.source.closeWatches(Object.assign(new Error('Internal Server Error'), { statusCode: 500 }));
    t.source.remove('a', false);
    t.source.put('b', '2', false);
    t.source.put('c', '1', false);
    await until(() => t.source.lists === 2 && t.source.activeWatches === 1, 're-list');
    expect(t.log).toEqual(['list:a=1,b=1', 'delete:a', 'update:b=1->2', 'add:c=1']);
    expect(t.sleeps).toHaveLength(1);
    expect(t.informer.restarts()).toBe(1);
    expect(t.stale).toEqual([true, false, true, false]);
  });

  it('is not live while its watch has been down longer than the grace, live again once it reconnects', async () => {
    let wake: (() => void) | undefined;
    const t = setup({ sleep: () => new Promise<void>((resolve) => (wake = resolve)) });
    t.source.put('a', '1', false);
    t.informer.start();
    await until(() => t.source.activeWatches === 1, 'watch');
    expect(t.informer.isLive(5_000)).toBe(true);
    t.source.closeWatches(Object.assign(new Error('Service Unavailable'), { statusCode: 503 }));
    await until(() => wake !== undefined, 'backoff');
    t.clock.advance(4_999);
    expect(t.informer.isLive(5_000)).toBe(true);
    t.clock.advance(1);
    expect(t.informer.isLive(5_000)).toBe(false);
    expect(t.informer.isSynced()).toBe(true);
    wake?.();
    await until(() => t.source.lists === 2 && t.source.activeWatches === 1, 're-list');
    expect(t.informer.isLive(5_000)).toBe(true);
  });

  it('re-lists at once (no backoff) when the watch expires with 410 Gone', async () => {
    const t = setup();
    t.informer.start();
    await until(() => t.source.activeWatches === 1, 'watch');
    t.source.emitRaw('ERROR', { kind: 'Status', code: 410, message: 'too old resource version' });
    await until(() => t.source.lists === 2 && t.source.activeWatches === 1, 're-list');
    expect(t.sleeps).toEqual([]);
  });

  it('reconnects from the last resourceVersion after a clean close or client timeout', async () => {
    const t = setup();
    t.informer.start();
    await until(() => t.source.activeWatches === 1, 'watch');
    const obj = t.source.put('a', '1');
    t.clock.advance(30_000);
    t.source.closeWatches(new DOMException('The operation was aborted due to timeout', 'TimeoutError'));
    await until(() => t.source.watches === 2 && t.source.activeWatches === 1, 'rewatch');
    expect(t.source.lastWatchFrom).toBe(obj.metadata.resourceVersion);
    expect(t.source.lists).toBe(1);
    expect(t.sleeps).toEqual([]);
  });

  it('counts a throwing handler and keeps delivering events', async () => {
    const t = setup();
    let failing = true;
    const delivered: string[] = [];
    const handlers = {
      onInitialList: () => undefined,
      onAdd: (o: FakeObject) => {
        if (failing) throw new Error('boom');
        delivered.push(o.metadata.name);
      },
      onUpdate: () => undefined,
      onDelete: () => undefined,
    };
    const u = setup({ handlers });
    u.informer.start();
    await until(() => u.source.activeWatches === 1, 'watch');
    u.source.put('x', '1');
    failing = false;
    u.source.put('y', '1');
    expect(u.informer.handlerFailures()).toBe(1);
    expect(delivered).toEqual(['y']);
    expect(u.logger.lines.some((l) => l.level === 'error' && l.msg === 'informer handler failed')).toBe(true);
    expect(t.informer.handlerFailures()).toBe(0);
  });

  it('restarts a silent stream with a re-list when the watchdog fires', async () => {
    const t = setup({ stallMs: 60_000 });
    t.informer.start();
    await until(() => t.source.activeWatches === 1, 'watch');
    t.clock.advance(59_000);
    t.informer.checkStall();
    expect(t.source.activeWatches).toBe(1);
    t.clock.advance(2_000);
    t.informer.checkStall();
    await until(() => t.source.lists === 2 && t.source.activeWatches === 1, 'restart');
    expect(t.restarts[0]).toContain('no things events for 61000 ms');
    expect(t.source.maxConcurrentWatches).toBe(1);
  });

  it('never runs two watches at once through a burst of failures', async () => {
    const t = setup();
    const err = Object.assign(new Error('Service Unavailable'), { statusCode: 503 });
    t.source.watchFailures.push(err, err, err);
    t.informer.start();
    await until(() => t.source.activeWatches === 1, 'watch');
    t.source.closeWatches(err);
    t.informer.checkStall();
    await until(() => t.source.activeWatches === 1 && t.source.lists === 5, 'recovery');
    expect(t.source.maxConcurrentWatches).toBe(1);
    expect(t.informer.restarts()).toBe(4);
  });

  it('stops cleanly: no watch left open and no further lists', async () => {
    const t = setup();
    t.informer.start();
    await until(() => t.source.activeWatches === 1, 'watch');
    await t.informer.stop();
    expect(t.source.activeWatches).toBe(0);
    const lists = t.source.lists;
    t.source.closeWatches(new Error('late'));
    await new Promise((resolve) => setImmediate(resolve));
    expect(t.source.lists).toBe(lists);
  });
});

describe('SupervisedInformer watch-open deadline', () => {
  it('gives up on a watch that does not open in time, and closes it if it opens later', async () => {
    const source = new FakeWatchSource();
    let release: (() => void) | undefined;
    let lateAborted = false;
    const slow = source.watch.bind(source);
    let first = true;
    source.watch = (rv, onEvent, onDone) => {
      if (!first) return slow(rv, onEvent, onDone);
      first = false;
      return new Promise((resolve) => {
        release = () => resolve({ abort: () => (lateAborted = true) });
      });
    };
    const informer = new SupervisedInformer<FakeObject>({
      resource: 'things',
      source,
      clock: new FakeClock(),
      logger: recordingLogger(),
      requestTimeoutMs: 20,
      sleep: () => Promise.resolve(),
      handlers: {
        onInitialList: () => undefined,
        onAdd: () => undefined,
        onUpdate: () => undefined,
        onDelete: () => undefined,
      },
    });
    running.push(informer);
    informer.start();
    await until(() => informer.restarts() === 1, 'restart after watch-open deadline');
    await until(() => source.activeWatches === 1, 'second watch');
    release?.();
    await until(() => lateAborted, 'late watch closed');
    expect(source.lists).toBe(2);
  });
});
