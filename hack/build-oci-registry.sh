#!/usr/bin/env bash
# Builds hack/oci-registry (its own Go module pinning github.com/google/go-containerregistry, whose
# pkg/registry is an in-memory OCI registry) into the cache outside the clone. The chart tests push
# the packaged chart to it and install it from oci://. The binary is keyed by a hash of its
# sources, so an edit rebuilds it and nothing else does.
# Usage: hack/build-oci-registry.sh        prints the path of the oci-registry binary (last line)
set -euo pipefail

tool=oci-registry
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=go-tool-lib.sh
. "$here/go-tool-lib.sh"

src="$here/oci-registry"
pinned="$(sed -nE 's#^[[:space:]]*(require[[:space:]]+)?github\.com/google/go-containerregistry (v[0-9.]+).*#\2#p' "$src/go.mod")"
[ "$pinned" = "$GO_CONTAINERREGISTRY_VERSION" ] \
  || die "hack/oci-registry/go.mod pins go-containerregistry ${pinned:-nothing}, hack/versions.env says $GO_CONTAINERREGISTRY_VERSION"
hash="$(cat "$src/go.mod" "$src/go.sum" "$src"/*.go | sha256sum | cut -c1-16)"
bin="$cache_root/oci-registry/$hash/oci-registry"

if [ -x "$bin" ]; then
  echo "$bin"
  exit 0
fi

require_go 25
start=$(date +%s)
say "compiling hack/oci-registry with go-containerregistry $GO_CONTAINERREGISTRY_VERSION"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
(cd "$src" && CGO_ENABLED=0 go build -trimpath -o "$work/oci-registry" .) >&2 \
  || die "go build failed; is the Go module proxy reachable? (GOPROXY=$(go env GOPROXY))"
mkdir -p "$(dirname "$bin")"
mv "$work/oci-registry" "$bin"
say "done in $(( $(date +%s) - start ))s"
echo "$bin"
