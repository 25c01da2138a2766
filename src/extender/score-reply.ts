// The prioritize reply: a JSON array of {"Host","Score"} for each non-zero score, in list order, the
// bytes JSON.stringify writes. Between two pods of a shape a bind changes one node: the next list
// lacks a node that filled up (or gains one), and the scores of a few nodes move, while the rest
// keep their score. At 5000 nodes the reply is ~170 KB, so it is written by copying the runs of a
// recent reply's bytes whose entries stayed, and encoding only the entries that did not.
import type { HostScore } from '../app/verbs.js';

interface Encoded {
  readonly scores: readonly HostScore[];
  readonly body: Buffer;
  /**
   * ends[i]: the offset just past entry i and its separator (',' or, for the last non-zero entry, the
   * closing ']'); entry i starts at ends[i - 1] (or 1, after '['). A zero score takes no bytes.
   */
  readonly ends: Uint32Array;
}

/** Recent replies tried as bases for the next, newest first: a few shapes in flight. */
const RECENT = 4;
/** Past this share of entries to encode, a base is given up (copying runs would gain little). */
const MAX_NEW_SHARE = 0.125;
/** Hosts that left the list between two replies, found in a row (more: the rest is written anew). */
const LOOKAHEAD = 4;

const OPEN = 0x5b;
const COMMA = 0x2c;
const CLOSE = 0x5d;
const EMPTY = Buffer.from('[]');
/** `{"Host":` + `,"Score":` + `}` + the separator. */
const ENTRY_FRAME = 8 + 9 + 1 + 1;

function sameEntry(a: HostScore, b: HostScore): boolean {
  return a.score === b.score && a.host === b.host;
}

/** One entry with its separator (a comma, replaced by ']' on the last). */
function entryJson(entry: HostScore): string {
  return `{"Host":${JSON.stringify(entry.host)},"Score":${JSON.stringify(entry.score)}},`;
}

/** Bytes of entryJson for a host of printable ASCII without escapes and a score of 1..10. */
function plainEntryBytes(entry: HostScore): number {
  return ENTRY_FRAME + entry.host.length + 2 + (entry.score === 10 ? 2 : 1);
}

/** A run of the base's entries [from, to) kept, or one new entry at `at`. */
type Step =
  | { readonly kind: 'copy'; readonly from: number; readonly to: number }
  | { readonly kind: 'new'; readonly at: number };

export class ScoreReplyEncoder {
  readonly #byScores = new WeakMap<readonly HostScore[], Encoded>();
  readonly #recent: Encoded[] = [];
  /** Replies written from a recent one's bytes (for tests and benchmarks). */
  patched = 0;

  /** The reply's bytes for `scores` (the same array is answered with the same Buffer). */
  encode(scores: readonly HostScore[]): Buffer {
    const known = this.#byScores.get(scores);
    if (known !== undefined) return known.body;
    let encoded: Encoded | undefined;
    for (let k = this.#recent.length - 1; k >= 0 && encoded === undefined; k--) {
      encoded = patch(scores, this.#recent[k]!);
    }
    if (encoded !== undefined) this.patched++;
    else encoded = fresh(scores);
    this.#byScores.set(scores, encoded);
    this.#recent.push(encoded);
    if (this.#recent.length > RECENT) this.#recent.shift();
    return encoded.body;
  }
}

/**
 * `scores` written from `base`'s bytes, or undefined when too many entries would be new. Both lists
 * hold their hosts in the order of the one list both were cut from, so a walk in step aligns them:
 * a host missing from either side is skipped or written.
 */
function patch(scores: readonly HostScore[], base: Encoded): Encoded | undefined {
  const n = scores.length;
  const old = base.scores;
  const m = old.length;
  const limit = Math.max(1, Math.floor(n * MAX_NEW_SHARE));
  const steps: Step[] = [];
  let written = 0;
  let i = 0;
  let j = 0;
  while (i < n) {
    const entry = scores[i]!;
    if (j < m && sameEntry(entry, old[j]!)) {
      const from = j;
      while (i < n && j < m && sameEntry(scores[i]!, old[j]!)) {
        i++;
        j++;
      }
      steps.push({ kind: 'copy', from, to: j });
      continue;
    }
    const left = leftBefore(old, j, entry.host);
    if (left > 0) {
      j += left; // those hosts left the list
      continue;
    }
    if (++written > limit) return undefined;
    steps.push({ kind: 'new', at: i });
    // The base's entry for this host (its score changed) is passed too; a host new to the list is not.
    if (j < m && old[j]!.host === entry.host) j++;
    i++;
  }
  return assemble(scores, base, steps);
}

/** How many of old[j…] left the list before `host`, looking a few entries ahead; 0 when not found. */
function leftBefore(old: readonly HostScore[], j: number, host: string): number {
  for (let k = 1; k <= LOOKAHEAD && j + k < old.length; k++) if (old[j + k]!.host === host) return k;
  return 0;
}

function assemble(scores: readonly HostScore[], base: Encoded, steps: readonly Step[]): Encoded {
  const n = scores.length;
  const ends = new Uint32Array(n);
  const parts = new Array<string | undefined>(steps.length);
  let offset = 1;
  let i = 0;
  for (const [s, step] of steps.entries()) {
    if (step.kind === 'copy') {
      const start = step.from === 0 ? 1 : base.ends[step.from - 1]!;
      for (let j = step.from; j < step.to; j++, i++) ends[i] = offset + base.ends[j]! - start;
      offset += base.ends[step.to - 1]! - start;
    } else {
      const entry = scores[i]!;
      const json = entry.score === 0 ? '' : entryJson(entry);
      parts[s] = json;
      offset += Buffer.byteLength(json);
      ends[i++] = offset;
    }
  }
  if (offset === 1) return { scores, body: EMPTY, ends };
  const body = Buffer.allocUnsafe(offset);
  body[0] = OPEN;
  let at = 1;
  for (const [s, step] of steps.entries()) {
    if (step.kind === 'copy') {
      const start = step.from === 0 ? 1 : base.ends[step.from - 1]!;
      const end = base.ends[step.to - 1]!;
      if (end === start) continue;
      base.body.copy(body, at, start, end);
      at += end - start;
      // The base's last entry ends in ']': inside this reply it may be followed by more.
      body[at - 1] = COMMA;
    } else {
      at += body.write(parts[s]!, at, 'utf8');
    }
  }
  body[offset - 1] = CLOSE;
  return { scores, body, ends };
}

/**
 * `scores` encoded whole, as JSON.stringify writes it. Entry offsets are counted from the lengths of
 * plain hosts and scores; when the body's size says some entry was not plain, entry by entry.
 */
function fresh(scores: readonly HostScore[]): Encoded {
  const n = scores.length;
  const hosts: { Host: string; Score: number }[] = [];
  const ends = new Uint32Array(n);
  let offset = 1;
  for (let i = 0; i < n; i++) {
    const entry = scores[i]!;
    if (entry.score !== 0) {
      hosts.push({ Host: entry.host, Score: entry.score });
      offset += plainEntryBytes(entry);
    }
    ends[i] = offset;
  }
  if (hosts.length === 0) return { scores, body: EMPTY, ends };
  const body = Buffer.from(JSON.stringify(hosts));
  if (body.length !== offset) {
    offset = 1;
    for (let i = 0; i < n; i++) {
      const entry = scores[i]!;
      if (entry.score !== 0) offset += Buffer.byteLength(entryJson(entry));
      ends[i] = offset;
    }
  }
  return { scores, body, ends };
}
