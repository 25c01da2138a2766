// The entries of the two reply arrays that follow the node list, as JsonArrayPatcher writes them:
// the filter reply's feasible node names, and the prioritize reply's host scores (zero scores left
// out: a host missing from the reply gets 0 from the extender, as kube-scheduler's prioritizeNodes
// adds only listed hosts, so the reply is smaller to write and for the scheduler to read).
import type { EntryCodec } from './json-array-patch.js';
import type { HostScore } from '../app/verbs.js';
import type { HostPriority } from './wire.js';

export const nodeNameCodec: EntryCodec<string> = {
  key: (name) => name,
  same: (a, b) => a === b,
  written: () => true,
  json: (name) => JSON.stringify(name),
  plainBytes: (name) => name.length + 2,
  stringify: (names) => JSON.stringify(names),
};

/** `{"Host":` + `,"Score":` + `}`. */
const SCORE_FRAME = 8 + 9 + 1;

export const hostScoreCodec: EntryCodec<HostScore> = {
  key: (entry) => entry.host,
  same: (a, b) => a.score === b.score && a.host === b.host,
  written: (entry) => entry.score !== 0,
  json: (entry) => `{"Host":${JSON.stringify(entry.host)},"Score":${JSON.stringify(entry.score)}}`,
  // A score of 1..9 takes one byte, 10 two; any other number at least one.
  plainBytes: (entry) => SCORE_FRAME + entry.host.length + 2 + (entry.score === 10 ? 2 : 1),
  stringify: (entries) => {
    const hosts: HostPriority[] = [];
    for (const s of entries) if (s.score !== 0) hosts.push({ Host: s.host, Score: s.score });
    return JSON.stringify(hosts);
  },
};
