#!/usr/bin/env bash
# Prints the two TLS Secrets of deploy/ as YAML, from a directory made by
#   xpuhal certs init --dir DIR --client adapter:controller [--server-san NAME ...]
# so keys never go into the repository:
#   deploy/tls-secrets.sh DIR | kubectl apply -f -
#   xpuhal-hal-server-tls  ca.pem server.pem server-key.pem crl.pem roles.json  (the HAL server)
#   xpuhal-adapter-tls     ca.pem adapter.pem adapter-key.pem                   (the adapter's client certificate)
# After `xpuhal certs rotate`/`revoke`, run it again: the kubelet updates the mounted
# files and `xpuhal serve` reloads them without dropping connections.
# Options: --namespace NS (default xpuhal-system).
set -euo pipefail
usage() { echo "usage: $0 TLS_DIR [--namespace NS]" >&2; exit 2; }
[[ $# -ge 1 ]] || usage
dir="$1"; shift
ns=xpuhal-system
while [[ $# -gt 0 ]]; do
  case "$1" in
    --namespace) [[ $# -ge 2 ]] || usage; ns="$2"; shift 2 ;;
    *) usage ;;
  esac
done

fail() { echo "tls-secrets: $*" >&2; exit 1; }
for f in ca.pem server.pem server-key.pem crl.pem roles.json clients/adapter.pem clients/adapter-key.pem; do
  [[ -f "$dir/$f" ]] || fail "$dir/$f is missing (make the directory with: xpuhal certs init --dir $dir --client adapter:controller)"
done
# The server authorizes by the client certificate's identity; the adapter writes, so it must be a controller.
grep -Eq '"spiffe://xpuhal/client/adapter"[[:space:]]*:[[:space:]]*"controller"' "$dir/roles.json" ||
  fail "$dir/roles.json does not give spiffe://xpuhal/client/adapter the controller role"

# One data entry: key, file (base64 on one line).
entry() { printf '  %s: %s\n' "$1" "$(base64 -w0 < "$2")"; }
header() {
  cat <<YAML
apiVersion: v1
kind: Secret
metadata:
  name: $1
  namespace: $ns
  labels:
    app.kubernetes.io/name: xpuhal
    app.kubernetes.io/component: $2
type: Opaque
data:
YAML
}

header xpuhal-hal-server-tls hal-server
entry ca.pem "$dir/ca.pem"
entry server.pem "$dir/server.pem"
entry server-key.pem "$dir/server-key.pem"
entry crl.pem "$dir/crl.pem"
entry roles.json "$dir/roles.json"
echo ---
header xpuhal-adapter-tls adapter
entry ca.pem "$dir/ca.pem"
entry adapter.pem "$dir/clients/adapter.pem"
entry adapter-key.pem "$dir/clients/adapter-key.pem"
