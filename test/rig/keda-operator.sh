#!/usr/bin/env bash
# Ensure the real KEDA binaries of a KEDA release exist, and print the directory
# that holds them on the LAST line of stdout (progress -> stderr).
#
#   keda-operator.sh VERSION [COMPONENT...]
#     VERSION     e.g. 2.21.0 or v2.21.0 (required)
#     COMPONENT   operator (the default), adapter (KEDA's metrics server, the chart's
#                 keda-operator-metrics-apiserver), webhooks (the chart's
#                 keda-admission-webhooks)
#   KEDACTL_RIG_CACHE               cache root (default: $HOME/.cache/kedactl-rig)
#
# Built from github.com/kedacore/keda/v2/cmd/{operator,adapter,webhooks} through the
# Go module proxy (no prebuilt downloads). KEDA's go.mod carries its own replace
# and exclude directives, which do not apply when KEDA is a dependency, so the
# build goes through a small wrapper module that repeats them. The components that
# are missing are built by ONE `go build` (they share almost every package).
#
# Output: $KEDACTL_RIG_CACHE/keda-vX.Y.Z/{keda-operator,keda-adapter,keda-admission-webhooks}
# (the names of the chart's container commands), each stamped by .<binary>.version;
# flock on .lock serialises concurrent builders.
set -euo pipefail

log() { printf '[keda-operator] %s\n' "$*" >&2; }
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

VERSION="${1:-}"
if [ -z "$VERSION" ]; then
  log "usage: keda-operator.sh VERSION [operator|adapter|webhooks]... (for example 2.21.0)"
  exit 2
fi
case "$VERSION" in v*) ;; *) VERSION="v$VERSION" ;; esac
shift
COMPONENTS=("$@")
[ ${#COMPONENTS[@]} -gt 0 ] || COMPONENTS=(operator)

# component -> the binary's name (the chart's command for it)
binary_of() {
  case "$1" in
    operator) echo keda-operator ;;
    adapter) echo keda-adapter ;;
    webhooks) echo keda-admission-webhooks ;;
    *) log "error: unknown component $1 (operator, adapter or webhooks)"; exit 2 ;;
  esac
}
for c in "${COMPONENTS[@]}"; do binary_of "$c" >/dev/null; done

CACHE_ROOT="$RIG_CACHE_ROOT"
OUT="$CACHE_ROOT/keda-$VERSION"

built() { [ -x "$OUT/$1" ] && [ "$(cat "$OUT/.$1.version" 2>/dev/null)" = "$VERSION" ]; }
missing() {
  for c in "${COMPONENTS[@]}"; do built "$(binary_of "$c")" || echo "$c"; done
}
up_to_date() { [ -z "$(missing)" ]; }

rig_build_once

rig_find_go "build the KEDA operator"
log "using $("$GO" version)"

WORK="$(mktemp -d "${TMPDIR:-/tmp}/kedactl-keda-build.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT

rig_go_env

T0=$(date +%s)
MOD=github.com/kedacore/keda/v2
log "resolving $MOD@$VERSION"
modfile="$("$GO" mod download -json "$MOD@$VERSION" | sed -n 's/^[[:space:]]*"GoMod": "\(.*\)",\{0,1\}$/\1/p')"
if [ -z "$modfile" ] || [ ! -f "$modfile" ]; then
  log "error: could not download the go.mod of $MOD@$VERSION"
  exit 1
fi

# Repeat KEDA's replace and exclude directives (single-line and block forms).
# A replace to a local path (=> ./x) cannot be repeated from outside; refuse loudly.
directives="$(awk '
  /^(replace|exclude)[[:space:]]*\($/ { inblock = 1; print; next }
  inblock { print; if ($0 ~ /^\)/) inblock = 0; next }
  /^(replace|exclude)[[:space:]]/ { print }
' "$modfile")"
if printf '%s\n' "$directives" | grep -q '=>[[:space:]]*\.\{1,2\}/'; then
  log "error: $MOD@$VERSION replaces a module with a local path; the wrapper cannot repeat that"
  exit 1
fi

dir="$WORK/keda"
mkdir -p "$dir"
{
  echo "module kedactl.local/rigbuild/keda"
  echo
  echo "go $(sed -n 's/^go \([0-9.]*\).*/\1/p' "$modfile" | head -1)"
  echo
  echo "require $MOD $VERSION"
  echo
  printf '%s\n' "$directives"
} >"$dir/go.mod"
log "wrapper go.mod repeats $(printf '%s\n' "$directives" | grep -c '=>\|^exclude' || true) replace/exclude lines"
todo=($(missing))
pkgs=()
for c in "${todo[@]}"; do pkgs+=("$MOD/cmd/$c"); done
log "building ${todo[*]} of $MOD $VERSION in one go build; the operator alone takes about 7 minutes on 2 idle cores, longer on a busy machine"
ldflags="-s -w -X $MOD/version.Version=${VERSION#v} -X $MOD/version.GitCommit=module-proxy"
mkdir -p "$dir/bin"
# several packages and -o a folder: one binary per package, named after its folder (operator, adapter, ...)
(cd "$dir" && "$GO" build -trimpath -ldflags "$ldflags" -o "$dir/bin/" "${pkgs[@]}") >&2
for c in "${todo[@]}"; do
  b="$(binary_of "$c")"
  mv -f "$dir/bin/$c" "$OUT/$b.new"
  mv -f "$OUT/$b.new" "$OUT/$b"
  printf '%s\n' "$VERSION" >"$OUT/.$b.version"
done
log "${todo[*]} $VERSION built in $(( $(date +%s) - T0 ))s"
printf '%s\n' "$OUT"
