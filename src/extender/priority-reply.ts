// The prioritize reply (HostPriorityList) written straight into bytes: one pass to size it, one to
// fill it. Building { Host, Score } objects for JSON.stringify and then encoding the string made
// ~450 KB of garbage per reply at 4896 nodes, on every reply that is not reused (after each bind).
// Byte loops in JavaScript, not Buffer#write per piece: each write is a call into C++, and seven per
// host cost more than JSON.stringify.
import type { HostScore } from '../app/verbs.js';
import type { HostPriority } from './wire.js';

/** A name whose JSON is itself in quotes: printable ASCII without `"` and `\` (every node name). */
const PLAIN = /^[\x20\x21\x23-\x5b\x5d-\x7e]*$/;

const OPEN = Buffer.from('{"Host":"');
const SCORE = Buffer.from('","Score":');
const COMMA = 0x2c;
const CLOSE = 0x7d;

/** The JSON of a score: an integer 0-99 digit by digit, anything else as JSON.stringify writes it. */
function scoreJson(score: number): string | undefined {
  return Number.isInteger(score) && score >= 0 && score < 100 ? undefined : JSON.stringify(score);
}

function copy(from: Buffer, to: Buffer, at: number): number {
  for (let i = 0; i < from.length; i++) to[at + i] = from[i]!;
  return at + from.length;
}

/**
 * `[{"Host":…,"Score":…},…]` over the hosts with a score other than 0, in order: byte for byte what
 * JSON.stringify writes for those objects (kube-scheduler adds nothing for a host left out).
 */
export function priorityReply(scores: readonly HostScore[]): Buffer {
  // A host that is not plain, or a score that is not a small integer, is written through
  // JSON.stringify into a string first; such hosts come only from hand-made requests.
  let size = 2;
  let odd = false;
  for (let i = 0; i < scores.length; i++) {
    const { host, score } = scores[i]!;
    if (score === 0) continue;
    if (!PLAIN.test(host) || scoreJson(score) !== undefined) odd = true;
    size += OPEN.length + host.length + SCORE.length + (score >= 10 ? 2 : 1) + 2; // + `}` and `,`
  }
  if (odd) {
    const hosts: HostPriority[] = [];
    for (let i = 0; i < scores.length; i++) {
      const { host, score } = scores[i]!;
      if (score !== 0) hosts.push({ Host: host, Score: score });
    }
    return Buffer.from(JSON.stringify(hosts));
  }
  const out = Buffer.allocUnsafe(size);
  let at = 0;
  out[at++] = 0x5b; // [
  for (let i = 0; i < scores.length; i++) {
    const { host, score } = scores[i]!;
    if (score === 0) continue;
    if (at > 1) out[at++] = COMMA;
    at = copy(OPEN, out, at);
    for (let c = 0; c < host.length; c++) out[at++] = host.charCodeAt(c);
    at = copy(SCORE, out, at);
    if (score >= 10) out[at++] = 0x30 + Math.floor(score / 10);
    out[at++] = 0x30 + (score % 10);
    out[at++] = CLOSE;
  }
  out[at++] = 0x5d; // ]
  return out.subarray(0, at);
}
