// testbed/fabric/small.yaml as the scenarios that use it name its nodes (the file says why it is shaped so).
export const SMALL_FABRIC = 'testbed/fabric/small.yaml';

/** The six 4-GPU H100 nodes, clique by clique (c1 and c2 of rack a1, then c1 of rack a2). */
export const SMALL_H100_NODES: readonly string[] = [
  'leaf-a1-c1-n0',
  'leaf-a1-c1-n1',
  'leaf-a1-c2-n0',
  'leaf-a1-c2-n1',
  'leaf-a2-c1-n0',
  'leaf-a2-c1-n1',
];

/** The two 2-GPU A100 nodes of the last clique. */
export const SMALL_A100_NODES: readonly string[] = ['leaf-a2-c2-n0', 'leaf-a2-c2-n1'];
