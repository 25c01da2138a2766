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
// answered with the remembered array, found by reading the list's bytes against a table of the
// remembered names (name-list-bytes.ts) instead of parsing it: the verbs' results, and so their
// replies, list nodes in that array's order, which the scheduler does not depend on (it looks each
// name up in its own list, and prioritize scores are per host).
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

import { deepFreeze } from '../core/deep-freeze.js';
import { NameIndex, NameSpans } from './name-list-bytes.js';

/** `,` and `{`: the only bytes that may precede the top-level object's last member in Go's output. */
const COMMA = 0x2c;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const KEY = '"NodeNames":';
const LIST_OPENING = Buffer.from(`${KEY}[`);
const KEY_BYTES = Buffer.from(KEY);
const TAIL_CLOSE = Buffer.from('}');
/** Misses always remembered first, and the sampling of misses once lists stop repeating. */
const WARM_UP_MISSES = 16;
const SAMPLE_EVERY = 16;

interface Remembered {
  readonly tail: Buffer;
  readonly names: readonly string[];
  /** Its names by hash, built at the first rearrangement check (null: not plain, or repeats). */
  index?: NameIndex | null;
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
  for (let i = 0; i < v.length; i++) if (typeof v[i] !== 'string') return false;
  return true;
}

/** Where `tail` starts in `body` when the body ends with it as the top-level object's last member. */
function tailStart(body: Buffer, tail: Buffer): number | undefined {
  const start = body.length - tail.length;
  if (start < 1) return undefined;
  const before = body[start - 1];
  if (before !== COMMA && before !== OPEN_BRACE) return undefined;
  return body.compare(tail, 0, tail.length, start) === 0 ? start : undefined;
}

/**
 * The members of the body before its tail (`start`), parsed with NodeNames null; undefined when that
 * part is not the head of a JSON object (the full parse then reports the body).
 */
function parseHead(body: Buffer, start: number): Record<string, unknown> | undefined {
  let head: unknown;
  try {
    head = JSON.parse(`${body.toString('utf8', 0, start)}${KEY}null}`);
  } catch {
    return undefined; // invalid either way: the full parse reports it
  }
  if (!isObject(head) || head['NodeNames'] !== null) return undefined;
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
  /** The names of the request being read, and of a remembered list being indexed. */
  readonly #requestSpans = new NameSpans();
  readonly #indexSpans = new NameSpans();
  /** The last head parsed: its bytes, and its members frozen (shared by the requests that repeat it). */
  #lastHead: { readonly bytes: Buffer; readonly members: Record<string, unknown> } | undefined;

  constructor(opts: NodeNameListsOptions = {}) {
    this.#maxEntries = Math.max(1, Math.min(opts.maxEntries ?? 8, 64));
    this.#maxBytes = Math.max(0, opts.maxBytes ?? 64 * 2 ** 20);
  }

  /** Requests whose list was matched byte for byte, read as bytes and found rearranged, and parsed. */
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
  expect(names: readonly string[], namesJson?: Buffer): void {
    let entry = this.#announced.get(names);
    if (entry === undefined) {
      const json = namesJson ?? Buffer.from(JSON.stringify(names));
      const tail = Buffer.concat([KEY_BYTES, json, TAIL_CLOSE]);
      // A frozen list is kept as it is: the verbs know it (the slots of a filter's feasible nodes).
      const kept = Object.isFrozen(names) ? names : Object.freeze(names.slice());
      entry = tail.length > this.#maxBytes ? null : { tail, names: kept };
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
    const rearranged = this.#rearranged(body);
    if (rearranged !== undefined) {
      this.#reordered++;
      return rearranged;
    }
    const parsed: unknown = JSON.parse(body.toString('utf8'));
    this.#misses++;
    if (!isObject(parsed) || !isNameList(parsed['NodeNames'])) return parsed;
    if (this.#worthRemembering()) {
      const names = this.#remember(body, parsed['NodeNames']);
      if (names !== undefined) parsed['NodeNames'] = names;
    }
    return parsed;
  }

  #fromRemembered(body: Buffer): Record<string, unknown> | undefined {
    if (this.#expected !== undefined) {
      const start = tailStart(body, this.#expected.tail);
      if (start !== undefined) return this.#withNames(body, start, this.#expected.names);
    }
    for (let i = 0; i < this.#recent.length; i++) {
      const entry = this.#recent[i]!;
      const start = tailStart(body, entry.tail);
      if (start === undefined) continue;
      if (i > 0) this.#recent.unshift(...this.#recent.splice(i, 1));
      return this.#withNames(body, start, entry.names);
    }
    return undefined;
  }

  /**
   * The body with its tail (from `start`) replaced by `names`: only the part before the tail is
   * parsed, and not even that when it repeats the last head byte for byte — kube-scheduler sends a
   * pod's filter and prioritize requests with the same pod. A repeated head hands back the same
   * frozen members (the same Pod object), which validation and demand parsing recognise.
   */
  #withNames(body: Buffer, start: number, names: readonly string[]): Record<string, unknown> | undefined {
    const last = this.#lastHead;
    let members: Record<string, unknown> | undefined;
    if (
      last !== undefined &&
      last.bytes.length === start &&
      body.compare(last.bytes, 0, start, 0, start) === 0
    ) {
      members = last.members;
    } else {
      members = parseHead(body, start);
      if (members === undefined) return undefined;
      // A copy: the body's buffer is reused for the next request.
      this.#lastHead = { bytes: Buffer.from(body.subarray(0, start)), members: deepFreeze(members) };
    }
    return { ...members, NodeNames: names };
  }

  /**
   * The body with its list replaced by a remembered list of the same names in another order, if any:
   * the list must be the body's tail `"NodeNames":[…]}` of plain names (see tailStart for why the
   * tail's meaning cannot change), checked name by name against the remembered list's table.
   */
  #rearranged(body: Buffer): Record<string, unknown> | undefined {
    if (this.#recent.length === 0 && this.#expected === undefined) return undefined;
    const start = body.lastIndexOf(LIST_OPENING);
    if (start < 1) return undefined;
    const before = body[start - 1];
    if (before !== COMMA && before !== OPEN_BRACE) return undefined;
    const spans = this.#requestSpans;
    const end = spans.scan(body, start + KEY.length);
    if (end !== body.length - 1 || body[end] !== CLOSE_BRACE || spans.count === 0) return undefined;
    const candidates = this.#expected === undefined ? this.#recent : [this.#expected, ...this.#recent];
    for (const entry of candidates) {
      if (entry.names.length !== spans.count) continue;
      if (entry.index === undefined)
        entry.index = NameIndex.of(entry.tail, KEY.length, this.#indexSpans) ?? null;
      if (entry.index === null || !entry.index.matches(body, spans)) continue;
      const at = this.#recent.indexOf(entry);
      if (at > 0) this.#recent.unshift(...this.#recent.splice(at, 1));
      return this.#withNames(body, start, entry.names);
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
