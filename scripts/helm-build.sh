#!/usr/bin/env bash
# Builds (or reuses) the Helm CLI from its Go module, like the cluster binaries
# (`go install helm.sh/helm/v3/cmd/helm@<version>`, no replace directives):
#   $PHALANX_CACHE/bin/helm-v<version>/helm
# Written under a temporary name and renamed when complete, so a present file is reusable.
# Prints the binary's path on stdout. Settings: PHALANX_HELM_VERSION (default 3.22.0), PHALANX_CACHE.
set -euo pipefail

helm_version="${PHALANX_HELM_VERSION:-3.22.0}"
cache="${PHALANX_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/phalanx}"
out="$cache/bin/helm-v$helm_version"

export GOTOOLCHAIN=local GOFLAGS=-buildvcs=false CGO_ENABLED=0
command -v go >/dev/null || { echo "helm-build: the Go toolchain (go) is not on PATH" >&2; exit 1; }

started=$(date +%s)
say() { printf '[helm-build %4ss] %s\n' "$(($(date +%s) - started))" "$*" >&2; }

if [ -x "$out/helm" ]; then
  say "reusing helm ($out)"
else
  say "building helm v$helm_version from its Go module"
  mkdir -p "$out"
  tmp_gobin="$out/.partial-helm"
  rm -rf "$tmp_gobin" && mkdir -p "$tmp_gobin"
  ( while sleep 30; do say "  … building helm"; done ) &
  ticker=$!
  rc=0
  major=${helm_version%%.*}
  GOBIN="$tmp_gobin" go install -trimpath \
    -ldflags "-s -w -X helm.sh/helm/v$major/internal/version.version=v$helm_version" \
    "helm.sh/helm/v$major/cmd/helm@v$helm_version" || rc=$?
  kill "$ticker" 2>/dev/null || true
  wait "$ticker" 2>/dev/null || true
  [ "$rc" -eq 0 ] || { say "FAILED: go install helm"; exit "$rc"; }
  mv "$tmp_gobin/helm" "$out/helm" && rm -rf "$tmp_gobin"
  say "built helm in $(($(date +%s) - started)) s"
fi
echo "$out/helm"
