// Request bodies whose node-name list is one the extender parsed before. kube-scheduler (with
// nodeCacheCapable and percentageOfNodesToScore: 100) sends the same NodeNames, tens of kilobytes at
// thousands of nodes, pod after pod; Go's encoder writes ExtenderArgs in field order (Pod, Nodes,
// NodeNames) without spaces, so the list is the body's tail `"NodeNames":[…]}`. A tail identical,
// byte for byte, to a remembered one is not parsed again: only the pod before it is, and the
// remembered (frozen) array is handed on. Verbs then see the very same array, which their own
// memos recognise by identity.
//
// kube-scheduler's parallel filter also sends the same nodes in a different order from one pod to the
// next. A list that holds exactly the names of a remembered one (same length, each name once) is
// answered with the remembered array: the verbs' results, and so their replies, list nodes in that
// array's order, which the scheduler does not depend on (it looks each name up in its own list, and
// prioritize scores are per host).
//
// The scheduler's prioritize request lists exactly the nodes the filter reply named, in the reply's
// order (it maps each returned name back onto its own node list). After answering a filter, the
// extender announces that list (`expect`): the following prioritize is then a byte match, not a parse
// of a list no earlier request held, which is every pod whose feasible nodes changed.
//
// Why a byte match cannot change the meaning: the remembered tail is a complete `"NodeNames":[…]}`
// and the byte before it must be `,` or `{`. Were that byte inside a string, the tail's first quote
// would close the string and the bare NodeNames after it make the body invalid JSON either way; so
// the tail is the last member of the top-level object in both parses, and last members win.

/** `,` and `{`: the only bytes that may precede the top-level object's last member in Go's output. */
const COMMA = 0x2c;
const OPEN_BRACE = 0x7b;
const KEY = '"NodeNames":';
/** Misses always remembered first, and the sampling of misses once lists stop repeating. */
const WARM_UP_MISSES = 16;
const SAMPLE_EVERY = 16;

interface Remembered {
  readonly tail: Buffer;
  readonly names: readonly string[];
  /** name → position, built at the first permutation check of this list. */
  positions?: Map<string, number>;
  /** Per position, the check that last saw the name (duplicates make a list no permutation). */
  seen?: Uint32Array;
  /** listFingerprint of the names, built at the first permutation check of this list. */
  fingerprint?: number;
}

export interface NodeNameListsOptions {
  /** Distinct lists kept (the filter list plus one survivor list per pod shape, typically). */
  readonly maxEntries?: number;
  /** Bytes of tails kept across entries. */
  readonly maxBytes?: number;
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

function isNameList(v: unknown): v is string[] {
  if (!Array.isArray(v)) return false;
  for (const item of v) if (typeof item !== 'string') return false;
  return true;
}

/**
 * A sum over the names of their length and last three characters: equal for two lists holding the
 * same names in any order, so a different sum rules a remembered list out without a lookup per name.
 * Lists that differ by a node or two (the scheduler's feasible nodes after a bind) are told apart
 * here: node names differ mostly at their end. Equal sums are only a hint; the names are compared.
 */
function listFingerprint(names: readonly string[]): number {
  let sum = 0;
  for (const name of names) {
    const n = name.length;
    sum =
      (sum +
        Math.imul(n, 0x9e3779b1) +
        Math.imul(name.charCodeAt(n - 1) | 0, 0x85ebca6b) +
        Math.imul(name.charCodeAt(n - 2) | 0, 0xc2b2ae35) +
        Math.imul(name.charCodeAt(n - 3) | 0, 0x27d4eb2f)) |
      0;
  }
  return sum;
}

/** Where `tail` starts in `body` when the body ends with it as the top-level object's last member. */
function tailStart(body: Buffer, tail: Buffer): number | undefined {
  const start = body.length - tail.length;
  if (start < 1) return undefined;
  const before = body[start - 1];
  if (before !== COMMA && before !== OPEN_BRACE) return undefined;
  return body.compare(tail, 0, tail.length, start) === 0 ? start : undefined;
}

/** The body with its tail replaced by `names`: only the part before the tail is parsed. */
function withNames(
  body: Buffer,
  start: number,
  names: readonly string[],
): Record<string, unknown> | undefined {
  let head: unknown;
  try {
    head = JSON.parse(`${body.toString('utf8', 0, start)}${KEY}null}`);
  } catch {
    return undefined; // invalid either way: the full parse reports it
  }
  if (!isObject(head) || head['NodeNames'] !== null) return undefined;
  head['NodeNames'] = names;
  return head;
}

export class NodeNameLists {
  readonly #maxEntries: number;
  readonly #maxBytes: number;
  /** Most recently used first. */
  readonly #recent: Remembered[] = [];
  /** The list the last filter reply named: what the next prioritize request should carry. */
  #expected: Remembered | undefined;
  /** The tail of each announced list by the array announced (null: over the byte budget). */
  readonly #announced = new WeakMap<readonly string[], Remembered | null>();
  #bytes = 0;
  #hits = 0;
  #reordered = 0;
  #misses = 0;
  #check = 0;

  constructor(opts: NodeNameListsOptions = {}) {
    this.#maxEntries = Math.max(1, Math.min(opts.maxEntries ?? 8, 64));
    this.#maxBytes = Math.max(0, opts.maxBytes ?? 64 * 2 ** 20);
  }

  /** Requests whose list was not parsed, parsed but found reordered, and parsed and new. */
  stats(): {
    readonly hits: number;
    readonly reordered: number;
    readonly misses: number;
    readonly entries: number;
    readonly bytes: number;
  } {
    return {
      hits: this.#hits,
      reordered: this.#reordered,
      misses: this.#misses,
      entries: this.#recent.length,
      bytes: this.#bytes,
    };
  }

  /**
   * Announces the list a request will likely end with next: `names` as the filter reply wrote them,
   * with `namesJson` their JSON when the caller has it (the reply's own bytes). An array announced
   * before (a filter outcome reused pod after pod) costs a lookup. Kept apart from the lists
   * remembered from requests, one at a time; a list over the byte budget is not kept.
   */
  expect(names: readonly string[], namesJson?: string): void {
    let entry = this.#announced.get(names);
    if (entry === undefined) {
      const tail = Buffer.from(`${KEY}${namesJson ?? JSON.stringify(names)}}`);
      entry = tail.length > this.#maxBytes ? null : { tail, names: Object.freeze(names.slice()) };
      this.#announced.set(names, entry);
    }
    this.#expected = entry ?? undefined;
  }

  /**
   * The body as JSON.parse reads it (throws its SyntaxError on invalid JSON), except that NodeNames
   * may come back in the order of a list parsed before, as the same frozen array.
   */
  parse(body: Buffer): unknown {
    const hit = this.#fromRemembered(body);
    if (hit !== undefined) {
      this.#hits++;
      return hit;
    }
    const parsed: unknown = JSON.parse(body.toString('utf8'));
    if (!isObject(parsed) || !isNameList(parsed['NodeNames'])) {
      this.#misses++;
      return parsed;
    }
    const same = this.#sameNamesAs(parsed['NodeNames']);
    if (same !== undefined) {
      this.#reordered++;
      parsed['NodeNames'] = same;
      return parsed;
    }
    this.#misses++;
    if (this.#worthRemembering()) {
      const names = this.#remember(body, parsed['NodeNames']);
      if (names !== undefined) parsed['NodeNames'] = names;
    }
    return parsed;
  }

  #fromRemembered(body: Buffer): Record<string, unknown> | undefined {
    if (this.#expected !== undefined) {
      const start = tailStart(body, this.#expected.tail);
      if (start !== undefined) return withNames(body, start, this.#expected.names);
    }
    for (let i = 0; i < this.#recent.length; i++) {
      const entry = this.#recent[i]!;
      const start = tailStart(body, entry.tail);
      if (start === undefined) continue;
      if (i > 0) this.#recent.unshift(...this.#recent.splice(i, 1));
      return withNames(body, start, entry.names);
    }
    return undefined;
  }

  /** The remembered list holding exactly these names in another order, if any. */
  #sameNamesAs(names: readonly string[]): readonly string[] | undefined {
    let fingerprint: number | undefined;
    for (const entry of this.#recent) {
      if (entry.names.length !== names.length || names.length === 0) continue;
      fingerprint ??= listFingerprint(names);
      entry.fingerprint ??= listFingerprint(entry.names);
      if (entry.fingerprint !== fingerprint) continue;
      entry.positions ??= new Map(entry.names.map((n, i) => [n, i]));
      if (entry.positions.size !== entry.names.length) continue; // a list with repeats
      const seen = (entry.seen ??= new Uint32Array(entry.names.length));
      // A fresh mark per check, so `seen` needs no clearing; on wrap-around, clear once.
      this.#check = (this.#check + 1) >>> 0;
      if (this.#check === 0) {
        for (const e of this.#recent) e.seen?.fill(0);
        this.#check = 1;
      }
      let same = true;
      for (const name of names) {
        const at = entry.positions.get(name);
        if (at === undefined || seen[at] === this.#check) {
          same = false;
          break;
        }
        seen[at] = this.#check;
      }
      if (same) return entry.names;
    }
    return undefined;
  }

  /**
   * Remembering costs a serialization of the list. When lists rarely repeat, in any order (the
   * feasible nodes change with every bind), only every SAMPLE_EVERY-th miss pays it: enough to
   * notice when lists start repeating again.
   */
  #worthRemembering(): boolean {
    const repeating = this.#misses <= WARM_UP_MISSES || (this.#hits + this.#reordered) * 4 >= this.#misses;
    return repeating || this.#misses % SAMPLE_EVERY === 0;
  }

  /** Keeps the list when the body ends with it exactly as this process would write it. */
  #remember(body: Buffer, names: string[]): readonly string[] | undefined {
    const tail = Buffer.from(`${KEY}${JSON.stringify(names)}}`);
    const start = body.length - tail.length;
    if (start < 1 || tail.length > this.#maxBytes) return undefined;
    const before = body[start - 1];
    if (before !== COMMA && before !== OPEN_BRACE) return undefined;
    if (body.compare(tail, 0, tail.length, start) !== 0) return undefined;
    const frozen = Object.freeze(names);
    this.#recent.unshift({ tail, names: frozen });
    this.#bytes += tail.length;
    while (this.#recent.length > this.#maxEntries || this.#bytes > this.#maxBytes) {
      this.#bytes -= this.#recent.pop()!.tail.length;
    }
    return frozen;
  }
}
