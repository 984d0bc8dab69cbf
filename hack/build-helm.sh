#!/usr/bin/env bash
# Builds helm from its Go module (helm.sh/helm/v4 at HELM_VERSION of hack/versions.env) into a
# cache outside the clone, with the version ldflags of helm's own release builds (its Makefile),
# so that `helm version` names the release. Helm 4 derives its default Kubernetes version (what
# `helm template` and `helm lint` assume without a cluster) from the client-go module recorded in
# the binary's build info, which `go install` writes; without it Helm falls back to 1.20, so the
# built binary is asked and must agree with the client-go of helm's go.mod.
# Usage: hack/build-helm.sh        prints the path of the helm binary (last line)
set -euo pipefail

tool=helm
# shellcheck source=go-tool-lib.sh
. "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/go-tool-lib.sh"

bin_dir="$cache_root/helm/$HELM_VERSION"
helm="$bin_dir/helm"

if [ -x "$helm" ]; then
  echo "$helm"
  exit 0
fi

require_go 26
start=$(date +%s)
major="${HELM_VERSION%%.*}"
[ "$major" = v4 ] || die "HELM_VERSION=$HELM_VERSION: this script builds helm.sh/helm/v4 only"
mod="helm.sh/helm/v4@$HELM_VERSION"
say "resolving $mod through the module proxy ($(go env GOPROXY))"
src="$(module_dir "$mod")"

client_go="$(sed -nE 's#^[[:space:]]*k8s\.io/client-go (v[0-9.]+).*#\1#p' "$src/go.mod" | head -1)"
[ -n "$client_go" ] || die "no k8s.io/client-go requirement in $src/go.mod"
k8s="v1.$(echo "$client_go" | cut -d. -f2)"
# The ldflags below name variables where helm's Makefile sets them; a release that moves or renames
# them must not build silently as "v4.3" with empty metadata.
version_go="$src/internal/version/version.go"
for v in version metadata gitTreeState; do
  grep -qE "^[[:space:]]+$v[[:space:]]+=" "$version_go" 2>/dev/null \
    || die "internal/version/version.go of $mod no longer declares $v; update hack/build-helm.sh"
done
ldflags="-s -w"
ldflags+=" -X helm.sh/helm/v4/internal/version.version=$HELM_VERSION"
ldflags+=" -X helm.sh/helm/v4/internal/version.metadata="
ldflags+=" -X helm.sh/helm/v4/internal/version.gitTreeState=clean"

say "compiling helm $HELM_VERSION (client-go $client_go; cold: several minutes on 2 cores)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
go_install_with_progress "$work" "helm.sh/helm/v4/cmd/helm@$HELM_VERSION" "$ldflags"
[ -x "$work/helm" ] || die "go install produced no helm binary"
built="$("$work/helm" version --template '{{.Version}} {{.KubeClientVersion}}')"
[ "$built" = "$HELM_VERSION $k8s" ] \
  || die "the built helm reports '$built', expected '$HELM_VERSION $k8s'; update hack/build-helm.sh"
mkdir -p "$bin_dir"
# Moved into place last, so an interrupted build never leaves a binary that looks finished.
mv "$work/helm" "$helm"
say "done in $(( $(date +%s) - start ))s: $("$helm" version --short)"
echo "$helm"
