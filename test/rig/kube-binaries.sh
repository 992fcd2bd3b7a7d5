#!/usr/bin/env bash
# Ensure kube-apiserver + etcd (and, for the end-to-end rig, kube-controller-manager) binaries for the
# kedactl test rig exist, and print the directory that holds them on the LAST line of stdout
# (progress -> stderr).
#
#   kube-binaries.sh                         kube-apiserver and etcd
#   kube-binaries.sh kube-controller-manager the same, plus kube-controller-manager from the same
#                                            k8s.io/kubernetes module and version as kube-apiserver
#
#   KUBEBUILDER_ASSETS      if set and it contains kube-apiserver and etcd, it is used as is.
#   KEDACTL_RIG_CACHE       cache root (default: $HOME/.cache/kedactl-rig)
#   KEDACTL_RIG_K8S_VERSION k8s.io/kubernetes version to build (default below)
#   KEDACTL_RIG_ETCD_VERSION go.etcd.io/etcd/server/v3 version to build (default below)
#
# Both binaries are built from the Go module proxy (no prebuilt downloads):
# kube-apiserver from k8s.io/kubernetes (staging modules replaced by their
# published v0.Y.Z tags), etcd from go.etcd.io/etcd/server/v3.
set -euo pipefail

K8S_VERSION="${KEDACTL_RIG_K8S_VERSION:-v1.36.3}"
ETCD_VERSION="${KEDACTL_RIG_ETCD_VERSION:-v3.6.8}"

log() { printf '[kube-binaries] %s\n' "$*" >&2; }
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

WITH_KCM=""
case "${1:-}" in
  "") ;;
  kube-controller-manager) WITH_KCM=1 ;;
  *) printf '[kube-binaries] usage: kube-binaries.sh [kube-controller-manager]\n' >&2; exit 2 ;;
esac

have_bins() {
  [ -n "${1:-}" ] && [ -x "$1/kube-apiserver" ] && [ -x "$1/etcd" ] && { [ -z "$WITH_KCM" ] || [ -x "$1/kube-controller-manager" ]; }
}

if [ -n "${KUBEBUILDER_ASSETS:-}" ]; then
  if have_bins "$KUBEBUILDER_ASSETS"; then
    printf '%s\n' "$KUBEBUILDER_ASSETS"
    exit 0
  fi
  log "KUBEBUILDER_ASSETS=$KUBEBUILDER_ASSETS lacks kube-apiserver/etcd; using the cache instead"
fi

case "$K8S_VERSION" in v*) ;; *) K8S_VERSION="v$K8S_VERSION" ;; esac
case "$ETCD_VERSION" in v*) ;; *) ETCD_VERSION="v$ETCD_VERSION" ;; esac

CACHE_ROOT="$RIG_CACHE_ROOT"
OUT="$CACHE_ROOT/$K8S_VERSION"
STAMP="$OUT/versions.txt"
WANT_STAMP="kube-apiserver=$K8S_VERSION etcd=$ETCD_VERSION"

up_to_date() {
  have_bins "$OUT" && [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$WANT_STAMP" ] &&
    { [ -z "$WITH_KCM" ] || [ "$(cat "$OUT/.kube-controller-manager.version" 2>/dev/null)" = "$K8S_VERSION" ]; }
}

rig_build_once

rig_find_go "build kube-apiserver and etcd"
log "using $("$GO" version)"

WORK="$(mktemp -d "${TMPDIR:-/tmp}/kedactl-rig-build.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT

rig_go_env

# ---- kube-apiserver / kube-controller-manager ----------------------------------
# Both come from k8s.io/kubernetes through one wrapper module that replaces the staging modules.
write_k8s_wrapper() {
  local dir="$1" modfile minor staging
  log "resolving k8s.io/kubernetes@$K8S_VERSION"
  modfile="$("$GO" mod download -json "k8s.io/kubernetes@$K8S_VERSION" | sed -n 's/^[[:space:]]*"GoMod": "\(.*\)",\{0,1\}$/\1/p')"
  if [ -z "$modfile" ] || [ ! -f "$modfile" ]; then
    log "error: could not download the go.mod of k8s.io/kubernetes@$K8S_VERSION"
    exit 1
  fi
  # Staging modules are published as v0.<minor>.<patch> for kubernetes v1.<minor>.<patch>.
  minor="v0.${K8S_VERSION#v1.}"
  # Take the staging module list from kubernetes' own replace directives.
  staging="$(sed -n 's#^[[:space:]]*\(k8s\.io/[A-Za-z0-9._-]*\)[[:space:]]*=>[[:space:]]*\./staging/src/.*#\1#p' "$modfile" | sort -u)"
  if [ -z "$staging" ]; then
    log "error: no staging replace directives found in $modfile"
    exit 1
  fi
  mkdir -p "$dir"
  {
    echo "module kedactl.local/rigbuild/kubernetes"
    echo
    echo "go $(sed -n 's/^go \([0-9.]*\).*/\1/p' "$modfile" | head -1)"
    echo
    echo "require k8s.io/kubernetes $K8S_VERSION"
    echo
    echo "replace ("
    for m in $staging; do echo "	$m => $m $minor"; done
    echo ")"
  } >"$dir/go.mod"
  log "wrapper module for k8s.io/kubernetes $K8S_VERSION: $(echo "$staging" | wc -l) staging modules at $minor"
}

build_k8s_cmd() {
  local cmd="$1" t0 dir="$WORK/kubernetes"
  t0=$(date +%s)
  [ -f "$dir/go.mod" ] || write_k8s_wrapper "$dir"
  log "building $cmd $K8S_VERSION; this takes a while on a cold cache"
  local major="${K8S_VERSION#v}"; major="${major%%.*}"
  local kminor="${K8S_VERSION#v*.}"; kminor="${kminor%%.*}"
  local vpkg=k8s.io/component-base/version
  local ldflags="-s -w -X $vpkg.gitVersion=$K8S_VERSION -X $vpkg.gitMajor=$major -X $vpkg.gitMinor=$kminor -X $vpkg.gitTreeState=clean -X $vpkg.buildDate=1970-01-01T00:00:00Z"
  (cd "$dir" && "$GO" build -trimpath -ldflags "$ldflags" -o "$dir/$cmd" "k8s.io/kubernetes/cmd/$cmd") >&2
  mv -f "$dir/$cmd" "$OUT/$cmd.new"
  mv -f "$OUT/$cmd.new" "$OUT/$cmd"
  log "$cmd built in $(( $(date +%s) - t0 ))s"
}

# ---- etcd -------------------------------------------------------------------
build_etcd() {
  local t0 dir
  t0=$(date +%s)
  dir="$WORK/etcd"
  mkdir -p "$dir"
  {
    echo "module kedactl.local/rigbuild/etcd"
    echo
    echo "go 1.24"
    echo
    echo "require go.etcd.io/etcd/server/v3 $ETCD_VERSION"
  } >"$dir/go.mod"
  log "building etcd $ETCD_VERSION"
  (cd "$dir" && "$GO" build -trimpath -ldflags "-s -w" -o "$dir/etcd" go.etcd.io/etcd/server/v3) >&2
  mv -f "$dir/etcd" "$OUT/etcd.new"
  mv -f "$OUT/etcd.new" "$OUT/etcd"
  log "etcd built in $(( $(date +%s) - t0 ))s"
}

T0=$(date +%s)
# Per-binary stamps: bumping only the etcd version does not rebuild kube-apiserver.
if [ -x "$OUT/etcd" ] && [ "$(cat "$OUT/.etcd.version" 2>/dev/null)" = "$ETCD_VERSION" ]; then
  log "etcd $ETCD_VERSION already built"
else
  rm -f "$STAMP" "$OUT/.etcd.version"
  build_etcd
  printf '%s\n' "$ETCD_VERSION" >"$OUT/.etcd.version"
fi
if [ -x "$OUT/kube-apiserver" ] && [ "$(cat "$OUT/.kube-apiserver.version" 2>/dev/null)" = "$K8S_VERSION" ]; then
  log "kube-apiserver $K8S_VERSION already built"
else
  rm -f "$STAMP" "$OUT/.kube-apiserver.version"
  build_k8s_cmd kube-apiserver
  printf '%s\n' "$K8S_VERSION" >"$OUT/.kube-apiserver.version"
fi
# kube-controller-manager has only its own stamp: building it leaves the apiserver's valid for
# concurrent runs that need only kube-apiserver and etcd.
if [ -n "$WITH_KCM" ]; then
  if [ -x "$OUT/kube-controller-manager" ] && [ "$(cat "$OUT/.kube-controller-manager.version" 2>/dev/null)" = "$K8S_VERSION" ]; then
    log "kube-controller-manager $K8S_VERSION already built"
  else
    rm -f "$OUT/.kube-controller-manager.version"
    build_k8s_cmd kube-controller-manager
    "$OUT/kube-controller-manager" --version >&2 || { log "error: built kube-controller-manager does not run"; exit 1; }
    printf '%s\n' "$K8S_VERSION" >"$OUT/.kube-controller-manager.version"
  fi
fi
"$OUT/etcd" --version >&2 || { log "error: built etcd does not run"; exit 1; }
"$OUT/kube-apiserver" --version >&2 || { log "error: built kube-apiserver does not run"; exit 1; }
printf '%s\n' "$WANT_STAMP" >"$STAMP"
log "binaries ready in $OUT ($(( $(date +%s) - T0 ))s)"
printf '%s\n' "$OUT"
