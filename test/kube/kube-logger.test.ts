import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import type { KubeLogger } from '../../src/kube/kube-logger.js';
import { createLogger } from '../../src/logging/logger.js';

describe('KubeLogger', () => {
  it('is satisfied by the project pino logger, children included', () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        lines.push(chunk.toString());
        done();
      },
    });
    const logger: KubeLogger = createLogger('info', sink);
    logger.child({ component: 'kube' }).warn({ node: 'n1' }, 'node changed');
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0] ?? '{}')).toMatchObject({
      component: 'kube',
      node: 'n1',
      msg: 'node changed',
    });
  });
});
