// Node-name lists read as bytes: where each name of a JSON array of names lies in a buffer, and a
// table that tells, for a list sent in another order, whether it holds exactly the names of a list
// kept before — without JSON.parse building (and V8 interning) a string per name.
//
// Only plain names are read this way: printable ASCII without `"` and `\`, so a name's bytes are its
// characters in JSON and in the string JSON.parse would make. Node names are DNS subdomains
// (lowercase letters, digits, `-` and `.`), so every list kube-scheduler sends is plain; anything
// else (escapes, other characters, spaces) is refused here and the caller parses the body as JSON.

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const CLOSE_BRACKET = 0x5d;
const FIRST_PRINTABLE = 0x20;
const LAST_PRINTABLE = 0x7e;

function grown(a: Int32Array<ArrayBuffer>, size: number): Int32Array<ArrayBuffer> {
  const b = new Int32Array(size);
  b.set(a);
  return b;
}

/** Where the names of one scanned list lie, and a hash of each (FNV-1a over its bytes). */
export class NameSpans {
  starts = new Int32Array(256);
  ends = new Int32Array(256);
  hashes = new Int32Array(256);
  count = 0;
  /** Wrapping sum of the hashes: equal for the same names in any order. */
  fingerprint = 0;

  // No closure in here: a function that makes one allocates its context on every call, even on
  // the early return, and this runs per name (~190 KB per request at 4896 names).
  #ensure(n: number): void {
    if (n <= this.starts.length) return;
    const size = Math.max(n, this.starts.length * 2);
    this.starts = grown(this.starts, size);
    this.ends = grown(this.ends, size);
    this.hashes = grown(this.hashes, size);
  }

  /**
   * Reads the array of plain names whose `[` is at `open`; returns the index just past its `]`, or
   * -1 when the bytes there are not such an array (the spans are then meaningless).
   */
  scan(buf: Uint8Array, open: number): number {
    this.count = 0;
    this.fingerprint = 0;
    let i = open + 1;
    if (buf[i] === CLOSE_BRACKET) return i + 1;
    for (;;) {
      if (buf[i] !== QUOTE) return -1;
      const start = ++i;
      let hash = 0x811c9dc5 | 0;
      for (;;) {
        const b = buf[i];
        if (b === undefined) return -1;
        if (b === QUOTE) break;
        if (b < FIRST_PRINTABLE || b > LAST_PRINTABLE || b === BACKSLASH) return -1;
        hash = Math.imul(hash ^ b, 0x01000193);
        i++;
      }
      if (i === start) return -1; // an empty name is no node
      const n = this.count++;
      this.#ensure(n + 1);
      this.starts[n] = start;
      this.ends[n] = i;
      this.hashes[n] = hash;
      this.fingerprint = (this.fingerprint + hash) | 0;
      i++; // past the closing quote
      const next = buf[i];
      if (next === CLOSE_BRACKET) return i + 1;
      if (next !== COMMA) return -1;
      i++;
    }
  }
}

function sameBytes(a: Uint8Array, aStart: number, aEnd: number, b: Uint8Array, bStart: number): boolean {
  for (let i = aStart, j = bStart; i < aEnd; i++, j++) if (a[i] !== b[j]) return false;
  return true;
}

/**
 * The names of one kept list, by hash, for telling whether a scanned list is a rearrangement of it.
 * Built from the list's own JSON bytes; a list with a name that is not plain, or with a name twice,
 * has no index (it is matched only byte for byte).
 */
export class NameIndex {
  readonly #bytes: Uint8Array;
  readonly #starts: Int32Array;
  readonly #ends: Int32Array;
  /** Open addressing: position + 1 of a name per slot, 0 for an empty slot. */
  readonly #slots: Int32Array;
  readonly #mask: number;
  /** Per position, the check that last matched it (a fresh mark per check needs no clearing). */
  readonly #seen: Uint32Array;
  #check = 0;
  readonly count: number;
  readonly fingerprint: number;

  private constructor(bytes: Uint8Array, spans: NameSpans) {
    this.#bytes = bytes;
    this.count = spans.count;
    this.fingerprint = spans.fingerprint;
    this.#starts = spans.starts.slice(0, spans.count);
    this.#ends = spans.ends.slice(0, spans.count);
    let size = 16;
    while (size < spans.count * 2) size *= 2;
    this.#slots = new Int32Array(size);
    this.#mask = size - 1;
    this.#seen = new Uint32Array(spans.count);
  }

  /** The index of the array whose `[` is at `open` in `bytes`, or undefined (not plain, or repeats). */
  static of(bytes: Uint8Array, open: number, spans: NameSpans): NameIndex | undefined {
    if (spans.scan(bytes, open) < 0) return undefined;
    const index = new NameIndex(bytes, spans);
    for (let p = 0; p < spans.count; p++) {
      if (!index.#insert(p, spans.hashes[p]!)) return undefined;
    }
    return index;
  }

  #insert(position: number, hash: number): boolean {
    const start = this.#starts[position]!;
    const length = this.#ends[position]! - start;
    for (let slot = hash & this.#mask; ; slot = (slot + 1) & this.#mask) {
      const held = this.#slots[slot]! - 1;
      if (held < 0) {
        this.#slots[slot] = position + 1;
        return true;
      }
      const heldStart = this.#starts[held]!;
      if (
        this.#ends[held]! - heldStart === length &&
        sameBytes(this.#bytes, heldStart, this.#ends[held]!, this.#bytes, start)
      ) {
        return false; // the same name twice
      }
    }
  }

  /** Whether the scanned names in `body` are exactly this list's names, each once, in any order. */
  matches(body: Uint8Array, spans: NameSpans): boolean {
    if (spans.count !== this.count || spans.fingerprint !== this.fingerprint) return false;
    this.#check = (this.#check + 1) >>> 0;
    if (this.#check === 0) {
      this.#seen.fill(0);
      this.#check = 1;
    }
    for (let i = 0; i < spans.count; i++) {
      const start = spans.starts[i]!;
      const length = spans.ends[i]! - start;
      let found = false;
      for (let slot = spans.hashes[i]! & this.#mask; ; slot = (slot + 1) & this.#mask) {
        const held = this.#slots[slot]! - 1;
        if (held < 0) break;
        const heldStart = this.#starts[held]!;
        if (
          this.#ends[held]! - heldStart === length &&
          sameBytes(this.#bytes, heldStart, this.#ends[held]!, body, start)
        ) {
          if (this.#seen[held] === this.#check) return false; // a name given twice
          this.#seen[held] = this.#check;
          found = true;
          break;
        }
      }
      if (!found) return false;
    }
    return true;
  }
}
