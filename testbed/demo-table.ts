// Plain-text rendering for the demo: an aligned table and the "try it yourself" hint.

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
