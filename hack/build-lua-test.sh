#!/usr/bin/env bash
# Builds the Argo CD customization test runner (argocd/lua-test, its own Go module pinning
# github.com/yuin/gopher-lua, the Lua VM Argo CD embeds) into the cache outside the clone. The
# binary is keyed by a hash of the runner's sources, so an edit rebuilds it and nothing else does.
# Usage: hack/build-lua-test.sh        prints the path of the lua-test binary (last line)
set -euo pipefail

tool=lua-test
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=go-tool-lib.sh
. "$here/go-tool-lib.sh"

src="$here/../argocd/lua-test"
pinned="$(sed -nE 's#^[[:space:]]*github\.com/yuin/gopher-lua (v[0-9.]+).*#\1#p' "$src/go.mod")"
[ "$pinned" = "$GOPHER_LUA_VERSION" ] || die "argocd/lua-test/go.mod pins gopher-lua $pinned, hack/versions.env says $GOPHER_LUA_VERSION"
hash="$(cat "$src/go.mod" "$src/go.sum" "$src"/*.go | sha256sum | cut -c1-16)"
bin="$cache_root/lua-test/$hash/lua-test"

if [ -x "$bin" ]; then
  echo "$bin"
  exit 0
fi

require_go 24
start=$(date +%s)
say "compiling argocd/lua-test with gopher-lua $GOPHER_LUA_VERSION"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
(cd "$src" && CGO_ENABLED=0 go build -trimpath -o "$work/lua-test" .) >&2 \
  || die "go build failed; is the Go module proxy reachable? (GOPROXY=$(go env GOPROXY))"
mkdir -p "$(dirname "$bin")"
mv "$work/lua-test" "$bin"
say "done in $(( $(date +%s) - start ))s"
echo "$bin"
