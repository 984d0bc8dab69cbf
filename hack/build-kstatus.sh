#!/usr/bin/env bash
# Builds hack/kstatus (its own Go module pinning sigs.k8s.io/cli-utils, whose kstatus package is
# how Flux's health checks, Helm 4's --wait and kpt judge a resource) into the cache outside the
# clone. The binary is keyed by a hash of its sources, so an edit rebuilds it and nothing else does.
# Usage: hack/build-kstatus.sh        prints the path of the kstatus binary (last line)
set -euo pipefail

tool=kstatus
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=go-tool-lib.sh
. "$here/go-tool-lib.sh"

src="$here/kstatus"
pinned="$(sed -nE 's#^[[:space:]]*sigs\.k8s\.io/cli-utils (v[0-9.]+).*#\1#p' "$src/go.mod")"
[ "$pinned" = "$CLI_UTILS_VERSION" ] || die "hack/kstatus/go.mod pins cli-utils $pinned, hack/versions.env says $CLI_UTILS_VERSION"
hash="$(cat "$src/go.mod" "$src/go.sum" "$src"/*.go | sha256sum | cut -c1-16)"
bin="$cache_root/kstatus/$hash/kstatus"

if [ -x "$bin" ]; then
  echo "$bin"
  exit 0
fi

require_go 24
start=$(date +%s)
say "compiling hack/kstatus with sigs.k8s.io/cli-utils $CLI_UTILS_VERSION"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
(cd "$src" && CGO_ENABLED=0 go build -trimpath -o "$work/kstatus" .) >&2 \
  || die "go build failed; is the Go module proxy reachable? (GOPROXY=$(go env GOPROXY))"
mkdir -p "$(dirname "$bin")"
mv "$work/kstatus" "$bin"
say "done in $(( $(date +%s) - start ))s"
echo "$bin"
