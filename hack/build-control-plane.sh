#!/usr/bin/env bash
# Builds kube-apiserver, kube-controller-manager, kubectl and etcd from their Go modules into a
# cache outside the clone, so a second run (and CI on a warm machine) is instant.
# Usage: hack/build-control-plane.sh        prints the directory that holds the binaries (last line)
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=versions.env
. "$here/versions.env"

cache_root="${XDG_CACHE_HOME:-$HOME/.cache}/omkeys"
k8s_dir="$cache_root/k8s/$KUBERNETES_VERSION"
etcd_dir="$cache_root/etcd/$ETCD_VERSION"
bin_dir="$cache_root/bin/$KUBERNETES_VERSION-etcd-$ETCD_VERSION"

say() { printf '[control-plane] %s\n' "$*" >&2; }
die() { printf '[control-plane] error: %s\n' "$*" >&2; exit 1; }

have_all() {
  for b in kube-apiserver kube-controller-manager kubectl etcd; do [ -x "$bin_dir/$b" ] || return 1; done
}

if have_all; then
  echo "$bin_dir"
  exit 0
fi

command -v go >/dev/null 2>&1 || die "Go is not on the PATH. Install Go 1.26+ (https://go.dev/dl) and run again."
go_minor="$(go env GOVERSION | sed -E 's/^go1\.([0-9]+).*/\1/')"
[ "${go_minor:-0}" -ge 24 ] || die "Go $(go env GOVERSION) is too old; Kubernetes $KUBERNETES_VERSION needs Go 1.24 or newer."

export CGO_ENABLED=0
export GOFLAGS="${GOFLAGS:-} -mod=mod"
tags="selinux,notest,grpcnotrace"

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

build_kubernetes() {
  mkdir -p "$k8s_dir"
  local mod="$work/k8s"
  mkdir -p "$mod"
  say "resolving k8s.io/kubernetes@$KUBERNETES_VERSION through the module proxy ($(go env GOPROXY))"
  local gomod
  gomod="$(go mod download -json "k8s.io/kubernetes@$KUBERNETES_VERSION" 2>"$work/dl.err" | sed -nE 's/^\s*"GoMod": "(.*)",?$/\1/p')" \
    || true
  [ -n "$gomod" ] && [ -f "$gomod" ] || die "cannot download k8s.io/kubernetes@$KUBERNETES_VERSION from the Go module proxy: $(cat "$work/dl.err")"

  local minor patch
  minor="$(echo "$KUBERNETES_VERSION" | cut -d. -f2)"
  patch="$(echo "$KUBERNETES_VERSION" | cut -d. -f3)"
  {
    echo "module omkeys.local/control-plane"
    echo
    grep -E '^go [0-9]' "$gomod" | head -1
    # A dependency's godebug lines are ignored, so carry Kubernetes' own defaults over.
    grep -E '^godebug ' "$gomod" || true
    echo
    echo "require k8s.io/kubernetes $KUBERNETES_VERSION"
    echo
    # Every staging module that k8s.io/kubernetes replaces with a local path is published as v0.<minor>.<patch>.
    sed -nE 's#^[[:space:]]*(replace[[:space:]]+)?(k8s\.io/[A-Za-z0-9._-]+)[[:space:]]+=>[[:space:]]+\./staging/.*#replace \2 => \2 v0.'"$minor.$patch"'#p' "$gomod"
  } >"$mod/go.mod"
  local n
  n="$(grep -c '^replace ' "$mod/go.mod")"
  [ "$n" -ge 20 ] || die "found only $n staging modules in k8s.io/kubernetes' go.mod; the generator needs updating"
  say "consumer go.mod replaces $n staging modules with v0.$minor.$patch"

  local ver_pkgs=(k8s.io/component-base/version k8s.io/client-go/pkg/version)
  local ldflags="-s -w"
  local build_date
  build_date="$(date -u +%Y-%m-%dT%H:%M:%SZ)"
  for p in "${ver_pkgs[@]}"; do
    ldflags+=" -X $p.gitVersion=$KUBERNETES_VERSION -X $p.gitMajor=1 -X $p.gitMinor=$minor"
    ldflags+=" -X $p.gitCommit=$KUBERNETES_VERSION -X $p.gitTreeState=clean -X $p.buildDate=$build_date"
  done

  say "fetching dependencies (first run downloads a few hundred MB)"
  (cd "$mod" && go get "k8s.io/kubernetes/cmd/kube-apiserver@$KUBERNETES_VERSION" \
      "k8s.io/kubernetes/cmd/kube-controller-manager@$KUBERNETES_VERSION" \
      "k8s.io/kubernetes/cmd/kubectl@$KUBERNETES_VERSION") >&2 \
    || die "go get failed; is the Go module proxy reachable? (GOPROXY=$(go env GOPROXY))"
  say "compiling kube-apiserver, kube-controller-manager and kubectl (cold: 10-25 minutes on 2 cores)"
  (cd "$mod" && go build -v -trimpath -tags "$tags" -ldflags "$ldflags" -o "$k8s_dir/" \
      k8s.io/kubernetes/cmd/kube-apiserver k8s.io/kubernetes/cmd/kube-controller-manager k8s.io/kubernetes/cmd/kubectl) 2>&1 \
    | awk '{n++; if (n % 200 == 0) printf "[control-plane]   %d packages compiled\n", n > "/dev/stderr"}'
  for b in kube-apiserver kube-controller-manager kubectl; do
    [ -x "$k8s_dir/$b" ] || die "building $b failed (see the output above)"
  done
}

build_etcd() {
  mkdir -p "$etcd_dir"
  local mod="$work/etcd"
  mkdir -p "$mod"
  printf 'module omkeys.local/etcd\n\ngo 1.24\n' >"$mod/go.mod"
  say "fetching go.etcd.io/etcd/server/v3@$ETCD_VERSION"
  (cd "$mod" && go get "go.etcd.io/etcd/server/v3@$ETCD_VERSION") >&2 \
    || die "go get go.etcd.io/etcd/server/v3@$ETCD_VERSION failed; is the Go module proxy reachable?"
  say "compiling etcd"
  (cd "$mod" && go build -trimpath -ldflags "-s -w" -o "$etcd_dir/etcd" go.etcd.io/etcd/server/v3) >&2
  [ -x "$etcd_dir/etcd" ] || die "building etcd failed"
}

start=$(date +%s)
have_k8s=1; for b in kube-apiserver kube-controller-manager kubectl; do [ -x "$k8s_dir/$b" ] || have_k8s=0; done
[ "$have_k8s" = 1 ] || build_kubernetes
[ -x "$etcd_dir/etcd" ] || build_etcd

mkdir -p "$bin_dir"
for b in kube-apiserver kube-controller-manager kubectl; do ln -sf "$k8s_dir/$b" "$bin_dir/$b"; done
ln -sf "$etcd_dir/etcd" "$bin_dir/etcd"
say "done in $(( $(date +%s) - start ))s: $("$bin_dir/kubectl" version --client 2>/dev/null | head -1), etcd $("$bin_dir/etcd" --version | head -1)"
echo "$bin_dir"
