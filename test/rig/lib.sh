# The rig scripts' shared prelude, sourced (not run) by each build script in test/rig/ after it has defined
# log() and up_to_date() and set OUT. It owns the three things every build does the same way:
#   rig_build_once       print $OUT and exit when up_to_date; else take $OUT/.lock (one builder at a time:
#                        two vitest workers, two shells) and check again, since the lock's holder may have built it
#   rig_find_go WHAT     set GO to the go toolchain (PATH, then /usr/local/go/bin/go), or exit 1 naming WHAT
#   rig_go_env           a static build through the module proxy: CGO off, -mod=mod, no VCS stamp, no go.work
# shellcheck shell=bash

RIG_CACHE_ROOT="${KEDACTL_RIG_CACHE:-${HOME:-/root}/.cache/kedactl-rig}"

rig_build_once() {
  if up_to_date; then
    printf '%s\n' "$OUT"
    exit 0
  fi
  mkdir -p "$OUT"
  exec 9>"$OUT/.lock"
  if ! flock -n 9; then
    log "another build holds $OUT/.lock; waiting for it"
    flock 9
  fi
  if up_to_date; then
    printf '%s\n' "$OUT"
    exit 0
  fi
}

rig_find_go() {
  GO="$(command -v go || true)"
  if [ -z "$GO" ] && [ -x /usr/local/go/bin/go ]; then GO=/usr/local/go/bin/go; fi
  if [ -z "$GO" ]; then
    log "error: the go toolchain is needed to $1 (not on PATH, not at /usr/local/go/bin/go)"
    exit 1
  fi
}

rig_go_env() {
  export CGO_ENABLED=0 GOWORK=off
  export GOFLAGS="${GOFLAGS:-} -mod=mod -buildvcs=false"
}
