#!/usr/bin/env bash
# Print (last line of stdout) a directory holding every CRD of one KEDA release, taken from the KEDA Go
# module at that version through the Go module proxy (config/crd/bases), so the test rig validates what
# kedactl renders against the CRDs of the KEDA it installs, not a copy that can drift.
#
#   keda-crds.sh 2.21.0        (a version with or without the leading "v")
#   KEDACTL_RIG_CACHE          cache root (default: $HOME/.cache/kedactl-rig)
set -euo pipefail
version="${1:?usage: keda-crds.sh KEDA_VERSION}"
case "$version" in v*) ;; *) version="v$version" ;; esac

log() { printf '[keda-crds] %s\n' "$*" >&2; }
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cache="$RIG_CACHE_ROOT/keda-crds/$version"
if [ -f "$cache/.complete" ]; then
  printf '%s\n' "$cache"
  exit 0
fi

rig_find_go "fetch KEDA's CRDs from the Go module proxy"

mkdir -p "$cache"
exec 9>"$cache/.lock"
flock 9
if [ ! -f "$cache/.complete" ]; then
  echo "[keda-crds] fetching github.com/kedacore/keda/v2@$version from the Go module proxy" >&2
  json="$(GOFLAGS=-mod=mod GOWORK=off "$GO" mod download -json "github.com/kedacore/keda/v2@$version")" || {
    echo "[keda-crds] error: could not download github.com/kedacore/keda/v2@$version" >&2
    exit 1
  }
  dir="$(printf '%s\n' "$json" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",\{0,1\}$/\1/p')"
  src="$dir/config/crd/bases"
  if [ -z "$dir" ] || ! ls "$src"/*.yaml >/dev/null 2>&1; then
    echo "[keda-crds] error: no CRDs in $src" >&2
    exit 1
  fi
  rm -f "$cache"/*.yaml
  cp "$src"/*.yaml "$cache/"
  chmod u+w "$cache"/*.yaml
  printf '%s\n' "$version" >"$cache/.complete"
fi
printf '%s\n' "$cache"
