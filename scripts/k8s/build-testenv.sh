#!/usr/bin/env bash
# Builds scripts/k8s/testenv (embedded etcd + kube-apiserver) once and caches the binary
# under ~/.cache/xpuhal/k8s/<k8s version>-<source hash>/, so clean clones on the same
# machine (CI) reuse it. Prints the binary's path as its last line.
# Modules come from the Go module proxy; the first build takes several minutes on 2 cores.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/testenv" && pwd)"
command -v go >/dev/null || { echo "build-testenv: go is not installed" >&2; exit 2; }
version="$(awk '$1=="k8s.io/kubernetes"{print $2}' "$here/go.mod" | head -1)"
hash="$(cat "$here/go.mod" "$here/go.sum" "$here/main.go" | sha256sum | cut -c1-12)"
dir="${XPUHAL_CACHE:-$HOME/.cache/xpuhal}/k8s/${version}-${hash}"
bin="$dir/xpuhal-k8s-testenv"
if [[ -x "$bin" ]]; then echo "$bin"; exit 0; fi
mkdir -p "$dir"
echo "build-testenv: building kube-apiserver ${version} + etcd into $dir (first time only; several minutes)" >&2
start=$(date +%s)
# Progress: go build -v names each package as it compiles it; show a count every 100.
(cd "$here" && nice -n 10 go build -v -trimpath -ldflags='-s -w' -o "$bin.tmp" . 2>&1) |
  awk '{n++; if (n % 100 == 0) { printf "build-testenv: %d packages compiled\n", n > "/dev/stderr"; fflush("/dev/stderr") } }
       /^#|\.go:[0-9]+|^go: / { print > "/dev/stderr" }'
[[ -x "$bin.tmp" ]] || { echo "build-testenv: build failed" >&2; exit 1; }
mv "$bin.tmp" "$bin"
echo "build-testenv: built in $(( $(date +%s) - start ))s" >&2
echo "$bin"
