#!/usr/bin/env bash
# Builds (or finds) the binaries the stagewall end-to-end tests run:
# etcd, kube-apiserver and kubectl, from their Go modules with the machine's Go.
#
# Usage: test/e2e/assets/build.sh            -> prints the asset directory
#
# stdout: exactly one line, the absolute path of a directory holding the
#         executables etcd, kube-apiserver and kubectl.
# stderr: progress log.
# exit:   0 on success, non-zero (with an ERROR line on stderr) otherwise.
#
# Environment:
#   KUBEBUILDER_ASSETS     if it names a directory with all three executables,
#                          that directory is used as is and nothing is built.
#   STAGEWALL_E2E_ASSETS   where to build/cache the binaries
#                          (default: ${XDG_CACHE_HOME:-$HOME/.cache}/stagewall-e2e/<k8s-version>).
#   STAGEWALL_E2E_REBUILD  set to 1 to rebuild even if the cache is valid.
#
# Versions come from go.mod (k8s.io/kubernetes) and etcd/go.mod
# (go.etcd.io/etcd/server/v3) beside this script. See NOTES.md.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
binaries=(etcd kube-apiserver kubectl)

log() { printf '[e2e-assets %s] %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

has_all_binaries() {
  local dir=$1 b
  for b in "${binaries[@]}"; do
    [[ -f "$dir/$b" && -x "$dir/$b" ]] || return 1
  done
}

# 1. Prebuilt assets supplied by the caller.
if [[ -n "${KUBEBUILDER_ASSETS:-}" ]]; then
  if has_all_binaries "$KUBEBUILDER_ASSETS"; then
    log "using KUBEBUILDER_ASSETS=$KUBEBUILDER_ASSETS"
    (cd "$KUBEBUILDER_ASSETS" && pwd)
    exit 0
  fi
  log "KUBEBUILDER_ASSETS=$KUBEBUILDER_ASSETS lacks one of: ${binaries[*]} (as executables); building instead"
fi

# 2. Versions and cache key.
# The machine image keeps Go in /usr/local/go; a bare CI environment may not have it on PATH.
if ! command -v go >/dev/null 2>&1 && [[ -x /usr/local/go/bin/go ]]; then export PATH="/usr/local/go/bin:$PATH"; fi
command -v go >/dev/null 2>&1 || die "go is not on PATH (need Go >= 1.26; see $here/NOTES.md)"

k8s_version=$(awk '$1 == "require" && $2 == "k8s.io/kubernetes" { print $3 }' "$here/go.mod")
etcd_version=$(awk '$1 == "require" && $2 == "go.etcd.io/etcd/server/v3" { print $3 }' "$here/etcd/go.mod")
[[ "$k8s_version" =~ ^v1\.([0-9]+)\.[0-9]+$ ]] || die "cannot read the k8s.io/kubernetes version from $here/go.mod (got '$k8s_version')"
k8s_minor=${BASH_REMATCH[1]}
[[ "$etcd_version" =~ ^v3\.[0-9]+\.[0-9]+$ ]] || die "cannot read the etcd version from $here/etcd/go.mod (got '$etcd_version')"

# Same build tags as Kubernetes' own release build (hack/lib/golang.sh) for
# non-debug binaries; version stamping as hack/lib/version.sh does it.
k8s_tags="selinux,notest,grpcnotrace"
k8s_ldflags="-s -w"
for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
  # gitCommit: the module proxy does not tell the tag's commit; empty beats "$Format:%H$".
  k8s_ldflags+=" -X $pkg.gitVersion=$k8s_version -X $pkg.gitMajor=1 -X $pkg.gitMinor=$k8s_minor -X $pkg.gitTreeState=clean -X $pkg.gitCommit="
done
etcd_ldflags="-s -w -X go.etcd.io/etcd/api/v3/version.GitSHA=$etcd_version"

recipe_version=1 # bump when the build recipe below changes in a way that matters
inputs_hash=$(
  {
    cat "$here/go.mod" "$here/go.sum" "$here/etcd/go.mod" "$here/etcd/go.sum"
    printf '%s\n' "$recipe_version" "$k8s_tags" "$k8s_ldflags" "$etcd_ldflags" "$(go env GOOS GOARCH)"
  } | sha256sum | cut -d' ' -f1
)
stamp_key="key=kubernetes-$k8s_version etcd-$etcd_version inputs-$inputs_hash"

out=${STAGEWALL_E2E_ASSETS:-${XDG_CACHE_HOME:-${HOME:?HOME is unset; set STAGEWALL_E2E_ASSETS}/.cache}/stagewall-e2e/$k8s_version}
stamp="$out/.stamp"

cache_valid() {
  [[ "${STAGEWALL_E2E_REBUILD:-0}" != 1 ]] && has_all_binaries "$out" && [[ -f "$stamp" ]] &&
    grep -qxF "$stamp_key" "$stamp"
}

if cache_valid; then
  log "reusing cached kubernetes $k8s_version / etcd $etcd_version in $out"
  printf '%s\n' "$out"
  exit 0
fi

# 3. Build, under a lock so that concurrent callers do not build twice.
mkdir -p "$out" || die "cannot create $out"
out=$(cd "$out" && pwd)
stamp="$out/.stamp"
exec 9>"$out/.lock"
if command -v flock >/dev/null 2>&1; then
  if ! flock -n 9; then
    log "another build holds $out/.lock; waiting for it"
    flock 9
  fi
  if cache_valid; then
    log "reusing kubernetes $k8s_version / etcd $etcd_version just built by another process in $out"
    printf '%s\n' "$out"
    exit 0
  fi
fi
STAGEWALL_E2E_REBUILD=0

tmp=$(mktemp -d "$out/.build.XXXXXX")
heartbeat_pid=
cleanup() {
  if [[ -n "$heartbeat_pid" ]]; then kill "$heartbeat_pid" 2>/dev/null || true; fi
  rm -rf "$tmp"
}
trap cleanup EXIT

heartbeat() { # keep CI logs alive during long silent compiles
  local what=$1 start
  start=$(date +%s)
  # sleep must not hold stderr: once this subshell is killed, an orphaned
  # sleep with the caller's pipe open would delay EOF for whoever reads it.
  while sleep 60 >/dev/null 2>&1; do log "... still $what ($(($(date +%s) - start))s)"; done
}

# run_step DESCRIPTION ATTEMPTS DIR COMMAND...: runs COMMAND in DIR, with a
# heartbeat, retrying (for network hiccups while downloading modules).
run_step() {
  local what=$1 attempts=$2 dir=$3 i start rc
  shift 3
  start=$(date +%s)
  for ((i = 1; i <= attempts; i++)); do
    if ((attempts > 1)); then log "$what (attempt $i/$attempts)"; else log "$what"; fi
    heartbeat "$what" >&2 9>&- &  # 9: the lock, which must not outlive us
    heartbeat_pid=$!
    rc=0
    (cd "$dir" && "$@") >&2 || rc=$?
    kill "$heartbeat_pid" 2>/dev/null || true
    wait "$heartbeat_pid" 2>/dev/null || true
    heartbeat_pid=
    if ((rc == 0)); then
      log "done: $what in $(($(date +%s) - start))s"
      return 0
    fi
    log "failed (exit $rc): $what"
    ((i < attempts)) && sleep 5
  done
  die "$what failed; see the go output above"
}

go_version=$(go env GOVERSION)
log "building kubernetes $k8s_version (kube-apiserver, kubectl) and etcd $etcd_version with $go_version into $out"
log "a cold build (empty Go module and build caches) takes about 10-12 minutes on 2 cores"
build_start=$(date +%s)

# Deterministic go settings: the machine's toolchain, no workspace, go.sum as
# committed (-mod=readonly: a missing go.sum entry is an error, not a fetch).
export CGO_ENABLED=0 GOWORK=off GOTOOLCHAIN=local GOFLAGS=-mod=readonly

# Downloads first (retried), then compiles (not retried: a compile error is final).
# `go list -deps` fetches exactly the modules the build needs; its template
# prints nothing.
quiet='{{if false}}{{end}}'
run_step "downloading modules for etcd" 3 "$here/etcd" \
  go list -deps -f "$quiet" go.etcd.io/etcd/server/v3
run_step "downloading modules for kubernetes" 3 "$here" \
  go list -deps -f "$quiet" -tags="$k8s_tags" k8s.io/kubernetes/cmd/kube-apiserver k8s.io/kubernetes/cmd/kubectl
run_step "compiling etcd $etcd_version" 1 "$here/etcd" \
  go build -trimpath -ldflags="$etcd_ldflags" -o "$tmp/etcd" go.etcd.io/etcd/server/v3
run_step "compiling kube-apiserver and kubectl $k8s_version" 1 "$here" \
  go build -trimpath -tags="$k8s_tags" -ldflags="$k8s_ldflags" -o "$tmp/" \
  k8s.io/kubernetes/cmd/kube-apiserver k8s.io/kubernetes/cmd/kubectl

# Sanity: each binary runs and reports the expected version (expect-output.sh captures the
# output before matching it, so the check cannot race with SIGPIPE).
expect() { "$here/expect-output.sh" "$@"; }
expect TEXT "etcd Version: ${etcd_version#v}" "$tmp/etcd" --version ||
  die "built etcd does not report version ${etcd_version#v} (its output is above)"
expect LINE "Kubernetes $k8s_version" "$tmp/kube-apiserver" --version ||
  die "built kube-apiserver does not report $k8s_version (its output is above)"
expect TEXT "Client Version: $k8s_version" "$tmp/kubectl" version --client ||
  die "built kubectl does not report $k8s_version (its output is above)"

# Install: binaries first, the stamp last (a half-installed cache has no valid stamp).
rm -f "$stamp"
for b in "${binaries[@]}"; do
  mv -f "$tmp/$b" "$out/$b" || die "cannot move $b into $out"
done
{
  printf '%s\n' "$stamp_key"
  printf 'kubernetes=%s\netcd=%s\ngo=%s\nbuilt=%s\nbuild_seconds=%s\n' \
    "$k8s_version" "$etcd_version" "$go_version" "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$(($(date +%s) - build_start))"
} >"$stamp.tmp"
mv -f "$stamp.tmp" "$stamp"

log "built kubernetes $k8s_version / etcd $etcd_version in $(($(date +%s) - build_start))s: $out"
printf '%s\n' "$out"
