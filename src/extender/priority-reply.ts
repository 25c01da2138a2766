// The prioritize reply (HostPriorityList) written straight into bytes: one pass to size it, one to
// fill it. Building { Host, Score } objects for JSON.stringify and then encoding the string made
// ~450 KB of garbage per reply at 4896 nodes, on every reply that is not reused (after each bind).
// Byte loops in JavaScript, not Buffer#write per piece: each write is a call into C++, and seven per
// host cost more than JSON.stringify.
//
// After a bind the scores over the same list come back with the entries that did not change as the
// very same objects (the verbs reuse them), so PriorityReplies copies the previous reply's bytes for
// each run of unchanged entries and writes only the others: at 4896 nodes a reply after a bind is a
// few copies instead of ~140 KB written byte by byte.
import type { HostScore } from '../app/verbs.js';
import type { HostPriority } from './wire.js';

const OPEN = Buffer.from('{"Host":"');
const SCORE = Buffer.from('","Score":');
const COMMA = 0x2c;
const CLOSE = 0x7d;
const LIST_OPEN = 0x5b;
const LIST_CLOSE = 0x5d;

/** Whether the score is written digit by digit: an integer 0-99 (every extender score). */
function isSmallScore(score: number): boolean {
  return Number.isInteger(score) && score >= 0 && score < 100;
}

/** Bytes of a host's entry with the comma or `]` after it; 0 for a score of 0 (left out). */
function entrySize(entry: HostScore): number {
  if (entry.score === 0) return 0;
  return OPEN.length + entry.host.length + SCORE.length + (entry.score >= 10 ? 2 : 1) + 2;
}

function copy(from: Buffer, to: Buffer, at: number): number {
  for (let i = 0; i < from.length; i++) to[at + i] = from[i]!;
  return at + from.length;
}

/**
 * Writes `{"Host":…,"Score":…},` at `at`; returns where it ends, or -1 when the host is not plain
 * (its JSON would not be itself in quotes: a control character, `"`, `\` or non-ASCII).
 */
function writeEntry(entry: HostScore, out: Buffer, at: number): number {
  const { host, score } = entry;
  at = copy(OPEN, out, at);
  for (let c = 0; c < host.length; c++) {
    const code = host.charCodeAt(c);
    if (code < 0x20 || code === 0x22 || code === 0x5c || code > 0x7e) return -1;
    out[at++] = code;
  }
  at = copy(SCORE, out, at);
  if (score >= 10) out[at++] = 0x30 + Math.floor(score / 10);
  out[at++] = 0x30 + (score % 10);
  out[at++] = CLOSE;
  out[at++] = COMMA;
  return at;
}

/** A reply written by bytes, with where each host's entry ends in it (to patch the next one). */
interface Written {
  readonly scores: readonly HostScore[];
  readonly bytes: Buffer;
  /** ends[i]: the end of entry i (its comma or `]` included); an entry left out ends where it starts. */
  readonly ends: Int32Array;
}

function jsonReply(scores: readonly HostScore[]): Buffer {
  const hosts: HostPriority[] = [];
  for (let i = 0; i < scores.length; i++) {
    const { host, score } = scores[i]!;
    if (score !== 0) hosts.push({ Host: host, Score: score });
  }
  return Buffer.from(JSON.stringify(hosts));
}

/**
 * Closes the list: the last entry's comma becomes `]` (`[]` when no entry was written). `end`: where
 * the entries end.
 */
function close(out: Buffer, end: number): Buffer {
  if (end === 1) {
    out[1] = LIST_CLOSE;
    return out.subarray(0, 2);
  }
  out[end - 1] = LIST_CLOSE;
  return out.subarray(0, end);
}

/** Every entry written afresh; undefined when one is not plain (the caller falls back to JSON). */
function writeAll(scores: readonly HostScore[]): Written | undefined {
  let size = 2;
  for (let i = 0; i < scores.length; i++) {
    const entry = scores[i]!;
    if (entry.score !== 0 && !isSmallScore(entry.score)) return undefined;
    size += entrySize(entry);
  }
  const out = Buffer.allocUnsafe(size);
  const ends = new Int32Array(scores.length);
  out[0] = LIST_OPEN;
  let at = 1;
  for (let i = 0; i < scores.length; i++) {
    const entry = scores[i]!;
    if (entry.score !== 0) at = writeEntry(entry, out, at);
    if (at < 0) return undefined;
    ends[i] = at;
  }
  return { scores, bytes: close(out, at), ends };
}

/** Where entry i of `written` starts. */
const startOf = (written: Written, i: number): number => (i === 0 ? 1 : written.ends[i - 1]!);

/**
 * `scores` written from `previous`, a reply over the same list: runs of entries that are the same
 * objects copied, the others written. Undefined when too many changed for it to pay, or an entry is
 * not plain.
 */
function patch(previous: Written, scores: readonly HostScore[]): Written | undefined {
  const before = previous.scores;
  if (before.length !== scores.length) return undefined;
  let changed = 0;
  // The old reply's last byte is `]` where the new one's last entry has it too: sizes agree.
  let size = previous.bytes.length;
  for (let i = 0; i < scores.length; i++) {
    const entry = scores[i]!;
    if (entry === before[i]) continue;
    if (++changed > scores.length / 4) return undefined;
    if (entry.score !== 0 && !isSmallScore(entry.score)) return undefined;
    size += entrySize(entry) - (previous.ends[i]! - startOf(previous, i));
  }
  const out = Buffer.allocUnsafe(Math.max(size, 2));
  const ends = new Int32Array(scores.length);
  out[0] = LIST_OPEN;
  let at = 1;
  let i = 0;
  while (i < scores.length) {
    if (scores[i] !== before[i]) {
      const entry = scores[i]!;
      if (entry.score !== 0) at = writeEntry(entry, out, at);
      if (at < 0) return undefined;
      ends[i++] = at;
      continue;
    }
    // A run of unchanged entries: one copy, their ends shifted by how far the run moved.
    let j = i;
    while (j < scores.length && scores[j] === before[j]) j++;
    const from = startOf(previous, i);
    const to = previous.ends[j - 1]!;
    previous.bytes.copy(out, at, from, to);
    const shift = at - from;
    for (let k = i; k < j; k++) ends[k] = previous.ends[k]! + shift;
    at += to - from;
    // The old reply's last entry ended in `]`: inside the new one it ends in a comma again.
    if (to > from && to === previous.bytes.length) out[at - 1] = COMMA;
    i = j;
  }
  return { scores, bytes: close(out, at), ends };
}

/**
 * Prioritize replies: `[{"Host":…,"Score":…},…]` over the hosts with a score other than 0, in
 * order, byte for byte what JSON.stringify writes for those objects (kube-scheduler adds nothing for
 * a host left out). Each is patched from the one written before it when both are over the same list
 * (see the top of this file). Hosts that are not plain, or scores that are not small integers (only
 * hand-made requests have them), are written through JSON.stringify.
 */
export class PriorityReplies {
  #last: Written | undefined;

  reply(scores: readonly HostScore[]): Buffer {
    const written = (this.#last && patch(this.#last, scores)) ?? writeAll(scores);
    this.#last = written;
    return written?.bytes ?? jsonReply(scores);
  }
}
