// Plain-text rendering for the demo: an aligned table, its GPU UUID cells and the "try it yourself" hint.

/** Left-aligned columns separated by two spaces, with a rule under the header. */
export function renderTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd();
  return [line(header), widths.map((w) => '─'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

/**
 * The demo's "GPU UUID" cell: a share's device as its Binding named it (`phalanx.dev/gpu-uuid`, which
 * its reservation reported); else the devices the device plugin (stand-in) gave the pod; else "-".
 */
export function gpuUuidCell(
  annotation: string | undefined,
  allocated: readonly string[] | undefined,
): string {
  if (annotation) return annotation;
  return allocated && allocated.length > 0 ? compactUuids(allocated) : '-';
}

/**
 * Several UUIDs in one cell: their common prefix up to a "-" once, the rest in braces, in natural
 * order (`GPU-node-{0,1,2}`); one UUID, or UUIDs with no common prefix, as a comma-separated list.
 */
export function compactUuids(uuids: readonly string[]): string {
  const sorted = [...uuids].sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));
  if (sorted.length < 2) return sorted.join(',');
  let common = sorted[0] ?? '';
  for (const u of sorted) while (!u.startsWith(common)) common = common.slice(0, -1);
  const prefix = common.slice(0, common.lastIndexOf('-') + 1);
  if (prefix === '') return sorted.join(',');
  return `${prefix}{${sorted.map((u) => u.slice(prefix.length)).join(',')}}`;
}

export function tryItHint(kubeconfig: string, kubectl: string, adminUrl: string, logFile: string): string {
  return [
    'Look around:',
    `  export KUBECONFIG=${kubeconfig}`,
    `  ${kubectl} get pods -n demo -o wide`,
    `  ${kubectl} describe pod -n demo giant-0   # the GangUnschedulable event`,
    `  curl -s ${adminUrl}/debug/ledger   # Phalanx's ledger`,
    `  tail -f ${logFile}`,
  ].join('\n');
}
