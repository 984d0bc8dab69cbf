#!/usr/bin/env bash
# Builds Helm 3 from its Go module (helm.sh/helm/v3 at HELM3_VERSION of hack/versions.env) into a
# cache outside the clone, so that a test can check the chart still renders under Helm 3 (the
# tests otherwise use Helm 4, hack/build-helm.sh). With the version ldflags of helm's own release
# builds, so that `helm version` names the release and Helm's default Kubernetes version (what
# `helm template` and `helm lint` assume without a cluster) is the one of its client-go, not
# Helm's fallback 1.20.
# Usage: hack/build-helm3.sh        prints the path of the helm binary (last line)
set -euo pipefail

tool=helm3
# shellcheck source=go-tool-lib.sh
. "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/go-tool-lib.sh"

bin_dir="$cache_root/helm/$HELM3_VERSION"
helm="$bin_dir/helm"

if [ -x "$helm" ]; then
  echo "$helm"
  exit 0
fi

require_go 26
start=$(date +%s)
mod="helm.sh/helm/v3@$HELM3_VERSION"
say "resolving $mod through the module proxy ($(go env GOPROXY))"
src="$(module_dir "$mod")"

# Helm's Makefile derives these from the client-go it is built with (v0.N.x is Kubernetes 1.N).
client_go="$(sed -nE 's#^[[:space:]]*k8s\.io/client-go (v[0-9.]+).*#\1#p' "$src/go.mod" | head -1)"
[ -n "$client_go" ] || die "no k8s.io/client-go requirement in $src/go.mod"
k8s_minor="$(echo "$client_go" | cut -d. -f2)"
# The variables live where Helm declares them; a release that moves them must not build silently
# with the 1.20 fallback.
for f in pkg/chartutil/capabilities.go pkg/lint/rules/deprecations.go; do
  grep -q 'k8sVersionMinor' "$src/$f" 2>/dev/null || die "$f of $mod no longer declares k8sVersionMinor; update hack/build-helm3.sh"
done
ldflags="-s -w"
ldflags+=" -X helm.sh/helm/v3/internal/version.version=$HELM3_VERSION"
ldflags+=" -X helm.sh/helm/v3/internal/version.metadata="
ldflags+=" -X helm.sh/helm/v3/internal/version.gitTreeState=clean"
for p in helm.sh/helm/v3/pkg/chartutil helm.sh/helm/v3/pkg/lint/rules; do
  ldflags+=" -X $p.k8sVersionMajor=1 -X $p.k8sVersionMinor=$k8s_minor"
done

say "compiling helm $HELM3_VERSION (Kubernetes 1.$k8s_minor capabilities; cold: a few minutes on 2 cores)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
go_install_with_progress "$work" "helm.sh/helm/v3/cmd/helm@$HELM3_VERSION" "$ldflags"
[ -x "$work/helm" ] || die "go install produced no helm binary"
mkdir -p "$bin_dir"
# Moved into place last, so an interrupted build never leaves a binary that looks finished.
mv "$work/helm" "$helm"
say "done in $(( $(date +%s) - start ))s: $("$helm" version --short)"
echo "$helm"
