// One e2e environment per test file (testbed/environment.ts): started before the file's first test,
// stopped after its last.
import { afterAll, beforeAll } from 'vitest';
import {
  createNamespace,
  log,
  startE2E,
  stopE2E,
  type E2E,
  type StartOptions,
} from '../../../testbed/environment.js';

/**
 * One test file's environment: its cluster and Phalanx start before the file's first test (then the
 * namespaces are created) and stop after its last, with the tail of Phalanx's log kept in the output.
 * The returned object is filled in when the start completes; use it inside hooks and tests only.
 * A file's own afterAll hooks run before this teardown (vitest runs after-hooks in reverse order).
 */
export function useE2E(name: string, opts: StartOptions & { namespaces?: readonly string[] } = {}): E2E {
  const e2e = {} as E2E;
  let started = false;
  beforeAll(async () => {
    Object.assign(e2e, await startE2E(name, opts));
    started = true;
    for (const namespace of opts.namespaces ?? []) await createNamespace(e2e, namespace);
  });
  afterAll(async () => {
    if (started) log(`${name}: Phalanx log tail:\n${await e2e.phalanx.logTail(10)}`);
    if (started) await e2e.devicePlugin.stop();
    await stopE2E(name);
  });
  return e2e;
}
