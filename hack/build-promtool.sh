#!/usr/bin/env bash
# Builds promtool from Prometheus' Go module (github.com/prometheus/prometheus at
# PROMETHEUS_MODULE_VERSION of hack/versions.env) into a cache outside the clone; the tests use
# it for `promtool check rules` and `promtool test rules` on the chart's PrometheusRule.
# Usage: hack/build-promtool.sh        prints the path of the promtool binary (last line)
set -euo pipefail

tool=promtool
# shellcheck source=go-tool-lib.sh
. "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/go-tool-lib.sh"

bin_dir="$cache_root/promtool/$PROMETHEUS_MODULE_VERSION"
promtool="$bin_dir/promtool"

if [ -x "$promtool" ]; then
  echo "$promtool"
  exit 0
fi

require_go 26
start=$(date +%s)
mod="github.com/prometheus/prometheus@$PROMETHEUS_MODULE_VERSION"
say "resolving $mod through the module proxy ($(go env GOPROXY))"
src="$(module_dir "$mod")"
version="$(cat "$src/VERSION")"
# The version variables of Prometheus' .promu.yml, so `promtool --version` names the release.
ldflags="-s -w -X github.com/prometheus/common/version.Version=$version -X github.com/prometheus/common/version.Branch=HEAD"
ldflags+=" -X github.com/prometheus/common/version.Revision=$PROMETHEUS_MODULE_VERSION"

say "compiling promtool $version (cold: several minutes on 2 cores)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
go_install_with_progress "$work" "github.com/prometheus/prometheus/cmd/promtool@$PROMETHEUS_MODULE_VERSION" "$ldflags"
[ -x "$work/promtool" ] || die "go install produced no promtool binary"
mkdir -p "$bin_dir"
mv "$work/promtool" "$promtool"
say "done in $(( $(date +%s) - start ))s: $("$promtool" --version 2>&1 | head -1)"
echo "$promtool"
