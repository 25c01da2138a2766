// A JSON array written from a recent one's bytes. The filter and prioritize replies are arrays over
// the node list (feasible names; host scores) that change little from one pod to the next: a bind
// changes one node, so a node leaves or joins the list and a few scores move. At 5000 nodes such a
// reply is 60-170 KB, so it is written by copying the runs of a recent array's bytes whose entries
// stayed and encoding only the others. The bytes are JSON.stringify's.

/** How entries of one kind are written and compared. */
export interface EntryCodec<T> {
  /** What lines two lists up: entries of one node. */
  key(entry: T): string;
  /** Whether two entries are written alike. */
  same(a: T, b: T): boolean;
  /** Whether the entry is written at all (a zero score is left out). */
  written(entry: T): boolean;
  /** The entry's JSON. */
  json(entry: T): string;
  /**
   * The bytes of json(entry) when it holds nothing to escape and no multi-byte character; never
   * more than its real bytes (so equal totals prove every entry plain).
   */
  plainBytes(entry: T): number;
  /** JSON.stringify of the written entries (the fast path for a list written whole). */
  stringify(entries: readonly T[]): string;
}

interface Encoded<T> {
  readonly entries: readonly T[];
  readonly body: Buffer;
  /**
   * ends[i]: the offset just past entry i and its separator (',' or, for the last written entry, the
   * closing ']'); entry i starts at ends[i - 1] (or 1, after '['). An entry not written takes none.
   */
  readonly ends: Uint32Array;
}

/** Recent arrays tried as bases for the next, newest first: a few shapes in flight. */
const RECENT = 4;
/** Past this share of entries to encode, a base is given up (copying runs would gain little). */
const MAX_NEW_SHARE = 0.125;
/** New entries allowed before the share above applies to the entries walked so far. */
const EARLY_NEW = 16;
/** Entries that left the list between two arrays, found in a row (more: the rest is written anew). */
const LOOKAHEAD = 4;

const OPEN = 0x5b;
const COMMA = 0x2c;
const CLOSE = 0x5d;
const EMPTY = Buffer.from('[]');

/** A run of the base's entries [from, to) kept, or one new entry at `at`. */
type Step =
  | { readonly kind: 'copy'; readonly from: number; readonly to: number }
  | { readonly kind: 'new'; readonly at: number };

export class JsonArrayPatcher<T> {
  readonly #codec: EntryCodec<T>;
  readonly #byEntries = new WeakMap<readonly T[], Encoded<T>>();
  readonly #recent: Encoded<T>[] = [];
  /** Arrays written from a recent one's bytes (for tests and benchmarks). */
  patched = 0;

  constructor(codec: EntryCodec<T>) {
    this.#codec = codec;
  }

  /** The JSON bytes of `entries` (the same array is answered with the same Buffer). */
  encode(entries: readonly T[]): Buffer {
    const known = this.#byEntries.get(entries);
    if (known !== undefined) return known.body;
    let encoded: Encoded<T> | undefined;
    for (let k = this.#recent.length - 1; k >= 0 && encoded === undefined; k--) {
      encoded = this.#patch(entries, this.#recent[k]!);
    }
    if (encoded !== undefined) this.patched++;
    else encoded = this.#fresh(entries);
    this.#byEntries.set(entries, encoded);
    this.#recent.push(encoded);
    if (this.#recent.length > RECENT) this.#recent.shift();
    return encoded.body;
  }

  /**
   * `entries` written from `base`'s bytes, or undefined when too many would be new. Both lists hold
   * their nodes in the order of the one list both were cut from, so a walk in step aligns them: a
   * node missing from either side is skipped or written.
   */
  #patch(entries: readonly T[], base: Encoded<T>): Encoded<T> | undefined {
    const codec = this.#codec;
    const n = entries.length;
    const old = base.entries;
    const m = old.length;
    const limit = Math.max(1, Math.floor(n * MAX_NEW_SHARE));
    const steps: Step[] = [];
    let written = 0;
    let i = 0;
    let j = 0;
    while (i < n) {
      const entry = entries[i]!;
      if (j < m && codec.same(entry, old[j]!)) {
        const from = j;
        while (i < n && j < m && codec.same(entries[i]!, old[j]!)) {
          i++;
          j++;
        }
        steps.push({ kind: 'copy', from, to: j });
        continue;
      }
      const key = codec.key(entry);
      const left = leftBefore(old, j, key, codec);
      if (left > 0) {
        j += left; // those nodes left the list
        continue;
      }
      // A base of another shape differs from the start: given up after a few entries, not n/8.
      if (++written > limit || written > EARLY_NEW + (i >> 3)) return undefined;
      steps.push({ kind: 'new', at: i });
      // The base's entry of this node (written otherwise) is passed too; a node new to the list is not.
      if (j < m && codec.key(old[j]!) === key) j++;
      i++;
    }
    return this.#assemble(entries, base, steps);
  }

  #assemble(entries: readonly T[], base: Encoded<T>, steps: readonly Step[]): Encoded<T> {
    const codec = this.#codec;
    const ends = new Uint32Array(entries.length);
    const parts = new Array<string | undefined>(steps.length);
    let offset = 1;
    let i = 0;
    for (let s = 0; s < steps.length; s++) {
      const step = steps[s]!;
      if (step.kind === 'copy') {
        const start = step.from === 0 ? 1 : base.ends[step.from - 1]!;
        for (let j = step.from; j < step.to; j++, i++) ends[i] = offset + base.ends[j]! - start;
        offset += base.ends[step.to - 1]! - start;
      } else {
        const entry = entries[i]!;
        const json = codec.written(entry) ? `${codec.json(entry)},` : '';
        parts[s] = json;
        offset += Buffer.byteLength(json);
        ends[i++] = offset;
      }
    }
    if (offset === 1) return { entries, body: EMPTY, ends };
    const body = Buffer.allocUnsafe(offset);
    body[0] = OPEN;
    let at = 1;
    for (let s = 0; s < steps.length; s++) {
      const step = steps[s]!;
      if (step.kind === 'copy') {
        const start = step.from === 0 ? 1 : base.ends[step.from - 1]!;
        const end = base.ends[step.to - 1]!;
        if (end === start) continue;
        base.body.copy(body, at, start, end);
        at += end - start;
        // The base's last entry ends in ']': here it may be followed by more.
        body[at - 1] = COMMA;
      } else {
        at += body.write(parts[s]!, at, 'utf8');
      }
    }
    body[offset - 1] = CLOSE;
    return { entries, body, ends };
  }

  /**
   * `entries` written whole by JSON.stringify. Entry offsets are counted from plain entries' sizes;
   * when the body's size says some entry was not plain, entry by entry.
   */
  #fresh(entries: readonly T[]): Encoded<T> {
    const codec = this.#codec;
    const n = entries.length;
    const ends = new Uint32Array(n);
    let offset = 1;
    for (let i = 0; i < n; i++) {
      const entry = entries[i]!;
      if (codec.written(entry)) offset += codec.plainBytes(entry) + 1;
      ends[i] = offset;
    }
    if (offset === 1) return { entries, body: EMPTY, ends };
    const body = Buffer.from(codec.stringify(entries));
    if (body.length !== offset) {
      offset = 1;
      for (let i = 0; i < n; i++) {
        const entry = entries[i]!;
        if (codec.written(entry)) offset += Buffer.byteLength(codec.json(entry)) + 1;
        ends[i] = offset;
      }
    }
    return { entries, body, ends };
  }
}

/** How many of old[j…] left the list before the entry keyed `key`, looking a few ahead; 0 if none. */
function leftBefore<T>(old: readonly T[], j: number, key: string, codec: EntryCodec<T>): number {
  for (let k = 1; k <= LOOKAHEAD && j + k < old.length; k++) if (codec.key(old[j + k]!) === key) return k;
  return 0;
}
