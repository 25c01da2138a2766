#!/usr/bin/env bash
# Laptop trial of Phalanx on kind: create the cluster (cluster.yaml), give the workers fake GPUs,
# build and load the image, apply deploy/ (one replica each), run the sample workload and show
# where it landed.
# Needs a Docker engine, kind v0.33.0 and kubectl. Not run in CI (no Docker engine there).
#   deploy/kind/up.sh                  # everything
#   kind delete cluster --name phalanx # tear down
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
cluster=phalanx
ctx="kind-$cluster"
# The image the Deployment runs: built here under exactly that name, so nothing is pulled.
image=$(sed -n 's/^ *image: \(phalanx:[^ ]*\)$/\1/p' "$repo/deploy/phalanx/deployment.yaml")
[ -n "$image" ] || { echo "up.sh: no phalanx image in deploy/phalanx/deployment.yaml" >&2; exit 1; }
k() { kubectl --context "$ctx" "$@"; }

# Polls `$@` once a second until it prints something non-empty; fails after $1 seconds.
wait_for() {
  local seconds=$1 what=$2; shift 2
  for ((i = 0; i < seconds; i++)); do
    if [ -n "$("$@" 2>/dev/null || true)" ]; then return 0; fi
    sleep 1
  done
  echo "up.sh: timed out after ${seconds}s waiting for $what" >&2
  return 1
}

if ! kind get clusters | grep -qx "$cluster"; then
  kind create cluster --config "$here/cluster.yaml"
fi

# Fake GPUs: extended-resource capacity on the node status (the kubelet derives allocatable from it).
for node in $(k get nodes -l nvidia.com/gpu.count -o jsonpath='{.items[*].metadata.name}'); do
  count=$(k get node "$node" -o jsonpath='{.metadata.labels.nvidia\.com/gpu\.count}')
  k patch node "$node" --subresource=status --type=json \
    -p "[{\"op\":\"add\",\"path\":\"/status/capacity/nvidia.com~1gpu\",\"value\":\"$count\"}]"
  wait_for 60 "allocatable GPUs on $node" k get node "$node" -o jsonpath='{.status.allocatable.nvidia\.com/gpu}'
done

docker build -t "$image" "$repo"
kind load docker-image "$image" --name "$cluster"

# The extender's mutual-TLS Secrets (what the cert-manager overlay would issue), CA kept in the state dir.
KUBECTL="kubectl --context $ctx" "$repo/deploy/tls/make-extender-secrets.sh" "${XDG_STATE_HOME:-$HOME/.local/state}/phalanx-kind-extender-ca"
k apply --server-side -k "$here"  # deploy/ with one replica each (kustomization.yaml here)
k -n phalanx-system rollout status deployment/phalanx-scheduler --timeout=180s
k -n phalanx-system rollout status deployment/phalanx --timeout=180s
# The Services route to the pod the leader labelled.
leader_labelled() {
  k -n phalanx-system get pods -l app.kubernetes.io/component=extender,phalanx.dev/leader=true \
    -o jsonpath='{.items[*].metadata.name}' | grep .
}
wait_for 60 "the leader's phalanx.dev/leader label" leader_labelled
wait_for 60 "the webhook caBundle" \
  k get mutatingwebhookconfiguration phalanx -o jsonpath='{.webhooks[0].clientConfig.caBundle}'

k apply -f "$here/sample-workload.yaml"
sample_running() {
  [ "$(k -n phalanx-demo get pods --field-selector=status.phase=Running -o name | wc -l)" -eq 6 ] && echo ok
}
wait_for 120 "the 6 sample pods running" sample_running
k -n phalanx-demo get pods -o custom-columns='POD:.metadata.name,NODE:.spec.nodeName,SCHEDULER:.spec.schedulerName,DEVICES:.metadata.annotations.phalanx\.dev/gpu-devices,LEVEL:.metadata.annotations.phalanx\.dev/placement-level'
