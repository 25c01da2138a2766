// A request body as one Buffer, bounded: what the verbs parse. A body announced or grown past the
// limit is refused before more of it is buffered. Bodies with an announced length (Go's client always
// announces it) are read into reused buffers: a fresh 100 KB buffer per request at thousands of nodes
// is external memory V8 answers with full mark-compact collections every few hundred requests.
import type { IncomingMessage } from 'node:http';
import { WireError } from './parse-args.js';

/** Buffers kept for reuse, and the largest one kept (bigger bodies get their own). */
const POOLED_BUFFERS = 4;
const MAX_POOLED_BYTES = 8 * 2 ** 20;

function tooLarge(limit: number): WireError {
  return new WireError('body', `request body exceeds ${limit} bytes`);
}

/** True when the request carries a body (a length above 0, or chunked). */
export function hasBody(req: IncomingMessage): boolean {
  const length = req.headers['content-length'];
  return req.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
}

export interface RequestBody {
  readonly bytes: Buffer;
  /** Hands the bytes back for reuse: call once the body has been parsed, and keep no view of it. */
  release(): void;
}

export class BodyReader {
  readonly #limitBytes: number;
  readonly #free: Buffer[] = [];

  constructor(limitBytes: number) {
    this.#limitBytes = limitBytes;
  }

  #take(size: number): { buffer: Buffer; release: () => void } {
    if (size > MAX_POOLED_BYTES) return { buffer: Buffer.allocUnsafe(size), release: () => undefined };
    const index = this.#free.findIndex((b) => b.length >= size);
    const buffer =
      index >= 0
        ? this.#free.splice(index, 1)[0]!
        : Buffer.allocUnsafeSlow(
            Math.min(MAX_POOLED_BYTES, Math.max(64 * 1024, 2 ** Math.ceil(Math.log2(size)))),
          );
    let released = false;
    return {
      buffer,
      release: () => {
        if (released) return;
        released = true;
        if (this.#free.length < POOLED_BUFFERS) this.#free.push(buffer);
      },
    };
  }

  /**
   * The body, or a WireError naming it. A refused body is still read to its end (and dropped) before
   * the promise settles, so the caller answers a client that has finished writing: answering mid-upload
   * would reset the connection under it (EPIPE) instead of delivering the 400.
   */
  read(req: IncomingMessage): Promise<RequestBody> {
    const limit = this.#limitBytes;
    return new Promise((resolve, reject) => {
      let refusal: Error | undefined;
      let settled = false;
      const settle = (outcome: () => void): void => {
        if (settled) return;
        settled = true;
        outcome();
      };
      const encoding = req.headers['content-encoding'];
      const announced = Number(req.headers['content-length'] ?? Number.NaN);
      if (encoding !== undefined && encoding !== 'identity') {
        refusal = new WireError('body', `content-encoding ${encoding} is not supported`);
      } else if (announced > limit) refusal = tooLarge(limit);
      const pooled =
        refusal === undefined && Number.isInteger(announced) && announced >= 0
          ? this.#take(announced)
          : undefined;
      const chunks: Buffer[] = [];
      let received = 0;
      const refuse = (err: Error): void => {
        refusal ??= err;
        pooled?.release();
        chunks.length = 0;
      };
      req.on('data', (chunk: Buffer) => {
        if (refusal !== undefined) return;
        if (received + chunk.length > limit || (pooled && received + chunk.length > announced)) {
          refuse(tooLarge(pooled ? Math.min(limit, announced) : limit));
          return;
        }
        if (pooled) chunk.copy(pooled.buffer, received);
        else chunks.push(chunk);
        received += chunk.length;
      });
      req.once('end', () =>
        settle(() => {
          if (refusal !== undefined) reject(refusal);
          // node's parser delivers exactly the announced length; a mismatch is a broken request.
          else if (pooled && received !== announced) {
            pooled.release();
            reject(new WireError('body', `request body ended after ${received} of ${announced} bytes`));
          } else if (pooled) resolve({ bytes: pooled.buffer.subarray(0, received), release: pooled.release });
          else resolve({ bytes: Buffer.concat(chunks, received), release: () => undefined });
        }),
      );
      const abandon = (err: Error): void =>
        settle(() => {
          pooled?.release();
          reject(err);
        });
      req.once('error', abandon);
      // 'close' follows every request, also after 'end': the error (and its stack) only when it matters.
      req.once('close', () => {
        if (!settled) abandon(new WireError('body', 'connection closed before the body ended'));
      });
    });
  }
}
