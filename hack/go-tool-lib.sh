# Shared by the scripts that build one tool from its Go module into the cache outside the clone
# (hack/build-helm.sh, hack/build-promtool.sh, hack/build-lua-test.sh, hack/build-oci-registry.sh).
# Sourced, not run.
# The caller sets `tool` (a short name for messages) before sourcing.

# shellcheck source=versions.env
. "$(dirname "${BASH_SOURCE[0]}")/versions.env"

cache_root="${XDG_CACHE_HOME:-$HOME/.cache}/omkeys"

say() { printf '[%s] %s\n' "$tool" "$*" >&2; }
die() { printf '[%s] error: %s\n' "$tool" "$*" >&2; exit 1; }

require_go() {
  local need="$1"
  command -v go >/dev/null 2>&1 || die "Go is not on the PATH. Install Go 1.$need+ (https://go.dev/dl) and run again."
  local minor
  minor="$(go env GOVERSION | sed -E 's/^go1\.([0-9]+).*/\1/')"
  [ "${minor:-0}" -ge "$need" ] || die "Go $(go env GOVERSION) is too old; $tool needs Go 1.$need or newer."
}

# The directory of a module version in the module cache, downloading it if needed; it fails with
# the proxy's own message, so an unreachable proxy or an unknown version says so.
module_dir() {
  local mod="$1" err
  err="$(mktemp)"
  local dir
  dir="$(go mod download -json "$mod" 2>"$err" | sed -nE 's/^\s*"Dir": "(.*)",?$/\1/p')" || true
  if [ -z "$dir" ] || [ ! -d "$dir" ]; then
    local msg
    msg="$(cat "$err")"
    rm -f "$err"
    die "cannot download $mod from the Go module proxy ($(go env GOPROXY)): $msg"
  fi
  rm -f "$err"
  echo "$dir"
}

# `go install`s package@version $2 (its module's own go.mod and go.sum, as its release builds
# use them) into directory $1 with ldflags $3, printing a line every 100 packages so that a cold
# build shows it is alive, and the compiler's errors if it fails.
go_install_with_progress() {
  local gobin="$1" pkg="$2" ldflags="$3"
  mkdir -p "$gobin"
  local log
  log="$(mktemp)"
  set +e
  (cd / && GOBIN="$gobin" CGO_ENABLED=0 go install -v -trimpath -ldflags "$ldflags" "$pkg") 2>&1 \
    | tee "$log" | awk -v t="$tool" '{n++; if (n % 100 == 0) printf "[%s]   %d packages compiled\n", t, n > "/dev/stderr"}'
  local rc="${PIPESTATUS[0]}"
  set -e
  if [ "$rc" != 0 ]; then
    # -v lists package paths; what is left are the errors.
    grep -vE '^[A-Za-z0-9._~/-]+$' "$log" | tail -40 >&2 || true
    rm -f "$log"
    die "go install $pkg failed (exit $rc); is the Go module proxy reachable? (GOPROXY=$(go env GOPROXY))"
  fi
  rm -f "$log"
}
