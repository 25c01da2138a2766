#!/usr/bin/env bash
# The Helm chart's CI checks: `helm lint`, `helm template` with the default values and each mode,
# and the object-by-object agreement with the kustomize tree (test/deploy/helm-agreement.test.ts,
# made to fail rather than skip when helm or kubectl is missing). Needs scripts/helm-build.sh and
# the cluster binaries (kubectl) built; run through ./run (Node 24 on PATH).
set -euo pipefail
cd "$(dirname "$0")/.."
helm=$(bash scripts/helm-build.sh)
kube_version="${PHALANX_K8S_VERSION:-1.37.2}"
chart=deploy/helm/phalanx
# The chart reads deploy/ through links under files/; helm says so on every load.
quiet() { grep -v 'found symbolic link in path' >&2 || true; }
"$helm" lint "$chart" --kube-version "$kube_version" 2> >(quiet)
for values in "" "--set webhook.certificateMode=cert-manager --set extenderTLS.mode=cert-manager" \
  "--set metrics.podMonitor.enabled=true --set metrics.serviceMonitor.enabled=true"; do
  # shellcheck disable=SC2086 # $values is a list of flags
  objects=$("$helm" template phalanx "$chart" --kube-version "$kube_version" $values 2> >(quiet) | grep -c '^kind:')
  echo "helm template ${values:-(defaults)}: $objects objects" >&2
done
PHALANX_REQUIRE_TOOLS=1 npx vitest run --project unit test/deploy/helm-agreement.test.ts
