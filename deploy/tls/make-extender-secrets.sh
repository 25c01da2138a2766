#!/usr/bin/env bash
# The extender's mutual-TLS Secrets without cert-manager: a CA of its own (kept in the directory given,
# default ./phalanx-extender-ca, to issue renewals), Phalanx's serving certificate for the Service
# phalanx.phalanx-system.svc and the scheduler's client certificate, written as
#   phalanx-system/phalanx-extender-tls               tls.crt, tls.key, ca.crt  (mounted by Phalanx)
#   phalanx-system/phalanx-scheduler-extender-client  tls.crt, tls.key, ca.crt  (mounted by phalanx-scheduler)
# Needs openssl and kubectl (current context; KUBECTL="kubectl --context c" for another one).
# Re-running renews both leaf certificates with the same CA (Phalanx reloads its files; the scheduler
# re-reads its client pair on the next connection).
#   deploy/tls/make-extender-secrets.sh [ca-dir] [days]
set -euo pipefail
dir=${1:-./phalanx-extender-ca}
days=${2:-365}
ns=phalanx-system
read -r -a kubectl <<< "${KUBECTL:-kubectl}"
mkdir -p "$dir"
cd "$dir"
if [ ! -f ca.key ]; then
  openssl ecparam -name prime256v1 -genkey -noout -out ca.key
  openssl req -x509 -new -key ca.key -sha256 -days 3650 -subj "/CN=phalanx-extender-ca" \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" -out ca.crt
fi
issue() { # name subject extensions
  openssl ecparam -name prime256v1 -genkey -noout -out "$1.key"
  openssl req -new -key "$1.key" -subj "$2" -out "$1.csr"
  printf '%s\n' "$3" > "$1.ext"
  openssl x509 -req -in "$1.csr" -CA ca.crt -CAkey ca.key -CAcreateserial -sha256 -days "$days" \
    -extfile "$1.ext" -out "$1.crt"
}
issue server "/CN=phalanx.phalanx-system.svc" \
  "$(printf 'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\nsubjectAltName=DNS:phalanx.phalanx-system.svc,DNS:phalanx.phalanx-system.svc.cluster.local')"
issue client "/CN=phalanx-scheduler" \
  "$(printf 'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=clientAuth')"
"${kubectl[@]}" get namespace "$ns" >/dev/null 2>&1 || "${kubectl[@]}" create namespace "$ns"
secret() { # name cert key
  "${kubectl[@]}" -n "$ns" create secret generic "$1" --from-file=tls.crt="$2" --from-file=tls.key="$3" \
    --from-file=ca.crt=ca.crt --dry-run=client -o yaml | "${kubectl[@]}" apply --server-side -f -
}
secret phalanx-extender-tls server.crt server.key
secret phalanx-scheduler-extender-client client.crt client.key
echo "make-extender-secrets.sh: Secrets written in $ns; CA kept in $(pwd)"
