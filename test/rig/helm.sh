#!/usr/bin/env bash
# Ensure the real helm binary of a release exists, and print the directory that holds it on the LAST line
# of stdout (progress -> stderr).
#
#   helm.sh VERSION          e.g. 4.3.2 or v3.22.0 (the major picks the module: helm.sh/helm/v4, /v3)
#   KEDACTL_RIG_CACHE        cache root (default: $HOME/.cache/kedactl-rig)
#
# Built from helm.sh/helm/vN/cmd/helm through the Go module proxy (no prebuilt downloads), with the version
# stamped the way helm's own Makefile does (-X .../internal/version.version), so `helm version` tells the
# truth. helm's go.mod has no replace or exclude lines, so no wrapper module is needed.
#
# Output: $KEDACTL_RIG_CACHE/helm-vX.Y.Z/helm (about 60 MB), stamped by .helm.version; flock on .lock.
set -euo pipefail

log() { printf '[helm] %s\n' "$*" >&2; }
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

VERSION="${1:-}"
if [ -z "$VERSION" ]; then
  log "usage: helm.sh VERSION (for example 4.3.2)"
  exit 2
fi
case "$VERSION" in v*) ;; *) VERSION="v$VERSION" ;; esac
MAJOR="${VERSION%%.*}"
case "$MAJOR" in v3 | v4) ;; *) log "error: helm $VERSION: only helm 3 and 4 are built"; exit 2 ;; esac
MOD="helm.sh/helm/$MAJOR"

CACHE_ROOT="$RIG_CACHE_ROOT"
OUT="$CACHE_ROOT/helm-$VERSION"
BIN="$OUT/helm"
VSTAMP="$OUT/.helm.version"

up_to_date() { [ -x "$BIN" ] && [ "$(cat "$VSTAMP" 2>/dev/null)" = "$VERSION" ]; }

rig_build_once

rig_find_go "build helm"

rig_go_env
T0=$(date +%s)
log "building $MOD/cmd/helm@$VERSION with $("$GO" version | cut -d' ' -f3)"
ldflags="-s -w -X $MOD/internal/version.version=$VERSION -X $MOD/internal/version.gitCommit=module-proxy -X $MOD/internal/version.gitTreeState=clean"
GOBIN="$OUT/.gobin" "$GO" install -trimpath -ldflags "$ldflags" "$MOD/cmd/helm@$VERSION" >&2
mv -f "$OUT/.gobin/helm" "$BIN"
rmdir "$OUT/.gobin" 2>/dev/null || true
printf '%s\n' "$VERSION" >"$VSTAMP"
log "helm $VERSION built in $(( $(date +%s) - T0 ))s"
printf '%s\n' "$OUT"
