#!/usr/bin/env bash
# Builds (or finds) the helm binary the stagewall end-to-end chart tests run,
# from its Go module (helm.sh/helm/v3) with the machine's Go, as build.sh does
# for etcd, kube-apiserver and kubectl.
#
# Usage: test/e2e/assets/build-helm.sh       -> prints the helm directory
#
# stdout: exactly one line, the absolute path of a directory holding the
#         executable helm.
# stderr: progress log.
# exit:   0 on success, non-zero (with an ERROR line on stderr) otherwise.
#
# Environment:
#   STAGEWALL_E2E_HELM     if it names a directory with an executable helm that
#                          reports the pinned version, that directory is used
#                          as is and nothing is built.
#   STAGEWALL_E2E_HELM_DIR where to build/cache the binary
#                          (default: ${XDG_CACHE_HOME:-$HOME/.cache}/stagewall-e2e/helm-<version>).
#   STAGEWALL_E2E_REBUILD  set to 1 to rebuild even if the cache is valid.
#
# The version comes from helm/go.mod (helm.sh/helm/v3) beside this script. See NOTES.md.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
module="$here/helm"

log() { printf '[e2e-helm %s] %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

if ! command -v go >/dev/null 2>&1 && [[ -x /usr/local/go/bin/go ]]; then export PATH="/usr/local/go/bin:$PATH"; fi
command -v go >/dev/null 2>&1 || die "go is not on PATH (need Go >= 1.26; see $here/NOTES.md)"

helm_version=$(awk '$1 == "require" && $2 == "helm.sh/helm/v3" { print $3 }' "$module/go.mod")
[[ "$helm_version" =~ ^v3\.[0-9]+\.[0-9]+$ ]] || die "cannot read the helm.sh/helm/v3 version from $module/go.mod (got '$helm_version')"
# helm's Makefile stamps the Kubernetes version its lint and capabilities assume from the
# client-go it is built with (v0.X.Y -> 1.X).
client_go_version=$(awk '$1 == "k8s.io/client-go" { print $2 }' "$module/go.mod")
[[ "$client_go_version" =~ ^v0\.([0-9]+)\.[0-9]+$ ]] || die "cannot read the k8s.io/client-go version from $module/go.mod (got '$client_go_version')"
k8s_minor=${BASH_REMATCH[1]}

# Version stamping as helm's Makefile does it for a release build.
helm_ldflags="-s -w -X helm.sh/helm/v3/internal/version.version=$helm_version -X helm.sh/helm/v3/internal/version.gitTreeState=clean"
for pkg in helm.sh/helm/v3/pkg/lint/rules helm.sh/helm/v3/pkg/chartutil; do
  helm_ldflags+=" -X $pkg.k8sVersionMajor=1 -X $pkg.k8sVersionMinor=$k8s_minor"
done

reports_version() { # DIR: its helm runs and reports the pinned version
  [[ -f "$1/helm" && -x "$1/helm" ]] && "$here/expect-output.sh" TEXT "Version:\"$helm_version\"" "$1/helm" version 2>/dev/null
}

# 1. A prebuilt helm supplied by the caller.
if [[ -n "${STAGEWALL_E2E_HELM:-}" ]]; then
  if reports_version "$STAGEWALL_E2E_HELM"; then
    log "using STAGEWALL_E2E_HELM=$STAGEWALL_E2E_HELM"
    (cd "$STAGEWALL_E2E_HELM" && pwd)
    exit 0
  fi
  log "STAGEWALL_E2E_HELM=$STAGEWALL_E2E_HELM has no executable helm reporting $helm_version; building instead"
fi

# 2. Cache key.
recipe_version=1 # bump when the build recipe below changes in a way that matters
inputs_hash=$(
  {
    cat "$module/go.mod" "$module/go.sum"
    printf '%s\n' "$recipe_version" "$helm_ldflags" "$(go env GOOS GOARCH GOVERSION)"
  } | sha256sum | cut -d' ' -f1
)
stamp_key="key=helm-$helm_version inputs-$inputs_hash"

out=${STAGEWALL_E2E_HELM_DIR:-${XDG_CACHE_HOME:-${HOME:?HOME is unset; set STAGEWALL_E2E_HELM_DIR}/.cache}/stagewall-e2e/helm-$helm_version}
stamp="$out/.stamp"

cache_valid() {
  [[ "${STAGEWALL_E2E_REBUILD:-0}" != 1 ]] && [[ -f "$out/helm" && -x "$out/helm" ]] && [[ -f "$stamp" ]] &&
    grep -qxF "$stamp_key" "$stamp"
}

if cache_valid; then
  log "reusing cached helm $helm_version in $out"
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
    log "reusing helm $helm_version just built by another process in $out"
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
log "building helm $helm_version with $go_version into $out"
log "a cold build (empty Go module and build caches) takes about 6 minutes on 2 cores under load"
build_start=$(date +%s)

# Deterministic go settings, as in build.sh: the machine's toolchain, no
# workspace, go.sum as committed.
export CGO_ENABLED=0 GOWORK=off GOTOOLCHAIN=local GOFLAGS=-mod=readonly

quiet='{{if false}}{{end}}'
run_step "downloading modules for helm" 3 "$module" \
  go list -deps -f "$quiet" helm.sh/helm/v3/cmd/helm
run_step "compiling helm $helm_version" 1 "$module" \
  go build -trimpath -ldflags="$helm_ldflags" -o "$tmp/helm" helm.sh/helm/v3/cmd/helm

reports_version "$tmp" || {
  "$tmp/helm" version >&2 || true
  die "built helm does not report $helm_version (its output is above)"
}

# Install: the binary first, the stamp last (a half-installed cache has no valid stamp).
rm -f "$stamp"
mv -f "$tmp/helm" "$out/helm" || die "cannot move helm into $out"
{
  printf '%s\n' "$stamp_key"
  printf 'helm=%s\nclient-go=%s\ngo=%s\nbuilt=%s\nbuild_seconds=%s\n' \
    "$helm_version" "$client_go_version" "$go_version" "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$(($(date +%s) - build_start))"
} >"$stamp.tmp"
mv -f "$stamp.tmp" "$stamp"

log "built helm $helm_version in $(($(date +%s) - build_start))s: $out"
printf '%s\n' "$out"
