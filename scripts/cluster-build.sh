#!/usr/bin/env bash
# Builds (or reuses) the binaries of the local test cluster from their Go modules:
#   kube-apiserver, kube-scheduler, kube-controller-manager, kubectl  (k8s.io/kubernetes)
#   etcd                                                             (go.etcd.io/etcd/server/v3)
#   kwok, kwokctl                                                    (sigs.k8s.io/kwok)
# Binaries live outside the work tree, one directory per component version:
#   $PHALANX_CACHE/bin/v<k8s version>/  $PHALANX_CACHE/bin/etcd-v<ver>/  $PHALANX_CACHE/bin/kwok-v<ver>/
# A binary is written under a temporary name and renamed when complete, so a present file is reusable.
# Settings: PHALANX_K8S_VERSION (default 1.37.2; 1.33.13 is the older supported minor), PHALANX_CACHE.
# The Kubernetes module of each version lives in testbed/go/kubernetes/v<version>/; when it is
# missing it is generated from the template (staging replaces derived from upstream's own go.mod).
set -euo pipefail
cd "$(dirname "$0")/.."
repo_root=$(pwd)

k8s_version="${PHALANX_K8S_VERSION:-1.37.2}"
etcd_version="3.6.16"
kwok_version="0.8.0"
cache="${PHALANX_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/phalanx}"
k8s_bin="$cache/bin/v$k8s_version"
etcd_bin="$cache/bin/etcd-v$etcd_version"
kwok_bin="$cache/bin/kwok-v$kwok_version"
k8s_module="$repo_root/testbed/go/kubernetes/v$k8s_version"
etcd_module="$repo_root/testbed/go/etcd"

export GOTOOLCHAIN=local GOFLAGS=-buildvcs=false CGO_ENABLED=0
command -v go >/dev/null || { echo "cluster-build: the Go toolchain (go) is not on PATH" >&2; exit 1; }

started=$(date +%s)
say() { printf '[cluster-build %4ss] %s\n' "$(($(date +%s) - started))" "$*" >&2; }

# Runs "$@" while printing a heartbeat with the elapsed time every 20 s.
with_progress() {
  local label=$1; shift
  local t0; t0=$(date +%s)
  ( while sleep 20; do say "  … $label ($(($(date +%s) - t0)) s)"; done ) &
  local ticker=$!
  local rc=0
  "$@" || rc=$?
  kill "$ticker" 2>/dev/null || true
  wait "$ticker" 2>/dev/null || true
  if [ "$rc" -ne 0 ]; then say "FAILED: $label"; return "$rc"; fi
  say "done: $label in $(($(date +%s) - t0)) s"
}

generate_k8s_module() {
  say "generating the Go module for Kubernetes v$k8s_version in ${k8s_module#"$repo_root"/}"
  local tmp="$k8s_module.tmp.$$"
  rm -rf "$tmp" && mkdir -p "$tmp"
  (
    cd "$tmp"
    go mod init phalanx.dev/test-cluster/kubernetes >/dev/null 2>&1
    go mod edit -go=1.24.0 # tidy raises it to what upstream needs, not to this toolchain's version
    go mod edit -require "k8s.io/kubernetes@v$k8s_version"
    # k8s.io/kubernetes replaces every staging module with ./staging/...; point each at its
    # published version instead (golang/go#44840). The list comes from upstream's own go.mod.
    local upstream_gomod staging_version
    upstream_gomod=$(go mod download -json "k8s.io/kubernetes@v$k8s_version" | sed -n 's/^\t"GoMod": "\(.*\)",$/\1/p')
    staging_version="v0.${k8s_version#1.}"
    grep -E '=> \./staging/' "$upstream_gomod" | awk '{print $1}' | sort -u | while read -r mod; do
      go mod edit -replace "$mod=$mod@$staging_version"
    done
    cp "$repo_root/testbed/go/kubernetes/tools.go.tmpl" tools.go
    go mod tidy
  )
  mv "$tmp" "$k8s_module"
}

# build_into <dir> <name> <go build args...> — skipped when <dir>/<name> exists.
build_into() {
  local dir=$1 name=$2; shift 2
  if [ -x "$dir/$name" ]; then say "reusing $name ($dir)"; return 0; fi
  mkdir -p "$dir"
  with_progress "building $name" go build -trimpath -o "$dir/.$name.partial" "$@"
  mv "$dir/.$name.partial" "$dir/$name"
}

say "Kubernetes v$k8s_version, etcd v$etcd_version, KWOK v$kwok_version → $cache/bin"

if [ ! -f "$k8s_module/go.sum" ]; then
  with_progress "module for Kubernetes v$k8s_version (go mod tidy)" generate_k8s_module
fi
major=${k8s_version%%.*}
minor=${k8s_version#*.}; minor=${minor%%.*}
version_pkg=k8s.io/component-base/version
ldflags="-s -w -X $version_pkg.gitVersion=v$k8s_version -X $version_pkg.gitMajor=$major -X $version_pkg.gitMinor=$minor -X $version_pkg.gitTreeState=clean"
for cmd in kube-apiserver kube-scheduler kube-controller-manager kubectl; do
  (cd "$k8s_module" && build_into "$k8s_bin" "$cmd" -ldflags "$ldflags" "k8s.io/kubernetes/cmd/$cmd")
done

(cd "$etcd_module" && build_into "$etcd_bin" etcd -ldflags "-s -w" .)

for cmd in kwok kwokctl; do
  if [ -x "$kwok_bin/$cmd" ]; then say "reusing $cmd ($kwok_bin)"; continue; fi
  tmp_gobin="$kwok_bin/.partial-$cmd"
  rm -rf "$tmp_gobin" && mkdir -p "$tmp_gobin"
  with_progress "building $cmd" env GOBIN="$tmp_gobin" go install -trimpath -ldflags "-s -w" "sigs.k8s.io/kwok/cmd/$cmd@v$kwok_version"
  mv "$tmp_gobin/$cmd" "$kwok_bin/$cmd" && rm -rf "$tmp_gobin"
done

# kwokctl drops its built-in Stages when given any, so the harness passes these defaults (the
# ones kwokctl uses, read from the same module) together with its own extra Stage.
if [ ! -s "$kwok_bin/default-stages.yaml" ]; then
  kwok_src=$(go mod download -json "sigs.k8s.io/kwok@v$kwok_version" | sed -n 's/^\t"Dir": "\(.*\)",$/\1/p')
  stage_dir="$kwok_src/kustomize/stage"
  for f in node/fast/node-initialize.yaml node/heartbeat-with-lease/node-heartbeat-with-lease.yaml \
    pod/fast/pod-ready.yaml pod/fast/pod-complete.yaml pod/fast/pod-delete.yaml; do
    echo "---"
    cat "$stage_dir/$f"
  done >"$kwok_bin/.default-stages.partial"
  mv "$kwok_bin/.default-stages.partial" "$kwok_bin/default-stages.yaml"
fi

say "all binaries ready in $(($(date +%s) - started)) s"
