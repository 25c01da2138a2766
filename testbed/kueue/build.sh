#!/usr/bin/env bash
# Builds (or reuses) Kueue for the local test cluster: the manager binary from its Go module
# (`go install sigs.k8s.io/kueue/cmd/kueue@<version>`, no replace directives) and the manifests it
# ships (CRDs, webhook configurations), copied from the module cache next to the binary:
#   $PHALANX_CACHE/bin/kueue-v<version>/{kueue,crds.yaml,webhooks.yaml}
# A file is written under a temporary name and renamed when complete, so a present file is reusable.
# Cold: ~4 min on 2 cores. Settings: PHALANX_KUEUE_VERSION (default 0.17.0), PHALANX_CACHE.
set -euo pipefail

kueue_version="${PHALANX_KUEUE_VERSION:-0.17.0}"
cache="${PHALANX_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/phalanx}"
out="$cache/bin/kueue-v$kueue_version"

export GOTOOLCHAIN=local GOFLAGS=-buildvcs=false CGO_ENABLED=0
command -v go >/dev/null || { echo "kueue-build: the Go toolchain (go) is not on PATH" >&2; exit 1; }

started=$(date +%s)
say() { printf '[kueue-build %4ss] %s\n' "$(($(date +%s) - started))" "$*" >&2; }
mkdir -p "$out"

if [ -x "$out/kueue" ]; then
  say "reusing kueue ($out)"
else
  say "building kueue v$kueue_version (cold: ~4 min on 2 cores)"
  tmp_gobin="$out/.partial-kueue"
  rm -rf "$tmp_gobin" && mkdir -p "$tmp_gobin"
  ( while sleep 30; do say "  … building kueue"; done ) &
  ticker=$!
  rc=0
  GOBIN="$tmp_gobin" go install -trimpath -ldflags "-s -w" "sigs.k8s.io/kueue/cmd/kueue@v$kueue_version" || rc=$?
  kill "$ticker" 2>/dev/null || true
  wait "$ticker" 2>/dev/null || true
  [ "$rc" -eq 0 ] || { say "FAILED: go install kueue"; exit "$rc"; }
  mv "$tmp_gobin/kueue" "$out/kueue" && rm -rf "$tmp_gobin"
  say "built kueue"
fi

if [ ! -s "$out/crds.yaml" ] || [ ! -s "$out/webhooks.yaml" ]; then
  src=$(go mod download -json "sigs.k8s.io/kueue@v$kueue_version" | sed -n 's/^\t"Dir": "\(.*\)",$/\1/p')
  [ -d "$src/config/components" ] || { say "no config/components in $src"; exit 1; }
  for f in "$src"/config/components/crd/bases/*.yaml; do
    echo "---"
    cat "$f"
  done >"$out/.crds.partial"
  mv "$out/.crds.partial" "$out/crds.yaml"
  cat "$src/config/components/webhook/manifests.yaml" >"$out/.webhooks.partial"
  mv "$out/.webhooks.partial" "$out/webhooks.yaml"
  say "manifests copied from $src/config/components"
fi
say "kueue v$kueue_version ready in $(($(date +%s) - started)) s"
