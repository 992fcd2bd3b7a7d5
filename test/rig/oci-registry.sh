#!/usr/bin/env bash
# Ensure the CNCF distribution registry (the reference OCI registry, `registry`) exists, and print the
# directory that holds it on the LAST line of stdout (progress -> stderr). Tests serve KEDA's chart from it
# as an oci:// reference, the way a private registry mirror would.
#
#   oci-registry.sh [VERSION]    default 3.1.2 (github.com/distribution/distribution/v3)
#   KEDACTL_RIG_CACHE            cache root (default: $HOME/.cache/kedactl-rig)
#
# Built from github.com/distribution/distribution/v3/cmd/registry through the Go module proxy (no prebuilt
# downloads). Output: $KEDACTL_RIG_CACHE/registry-vX.Y.Z/registry, stamped by .registry.version; flock on .lock.
set -euo pipefail

log() { printf '[oci-registry] %s\n' "$*" >&2; }
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

VERSION="${1:-3.1.2}"
case "$VERSION" in v*) ;; *) VERSION="v$VERSION" ;; esac
case "$VERSION" in v3.*) ;; *) log "error: registry $VERSION: only distribution v3 is built"; exit 2 ;; esac
MOD="github.com/distribution/distribution/v3"

CACHE_ROOT="$RIG_CACHE_ROOT"
OUT="$CACHE_ROOT/registry-$VERSION"
BIN="$OUT/registry"
VSTAMP="$OUT/.registry.version"

up_to_date() { [ -x "$BIN" ] && [ "$(cat "$VSTAMP" 2>/dev/null)" = "$VERSION" ]; }

rig_build_once

rig_find_go "build the registry"

rig_go_env
T0=$(date +%s)
log "building $MOD/cmd/registry@$VERSION with $("$GO" version | cut -d' ' -f3)"
GOBIN="$OUT/.gobin" "$GO" install -trimpath -ldflags "-s -w -X $MOD/version.version=$VERSION" "$MOD/cmd/registry@$VERSION" >&2
mv -f "$OUT/.gobin/registry" "$BIN"
rmdir "$OUT/.gobin" 2>/dev/null || true
printf '%s\n' "$VERSION" >"$VSTAMP"
log "registry $VERSION built in $(( $(date +%s) - T0 ))s"
printf '%s\n' "$OUT"
