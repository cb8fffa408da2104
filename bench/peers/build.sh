#!/usr/bin/env bash
# Builds (or finds) the peer binaries the benchmarks compare stagewall with:
# kyverno (bench:apiserver) and kube-score (bench:check), each from its Go
# module through a wrapper module beside this script. Never called by .ci/run
# or `npm test`: a cold kyverno build takes tens of minutes on 2 cores.
#
# Usage: bench/peers/build.sh kyverno|kube-score [--cached]   -> prints the binary's path
#        --cached: never build; exit 3 when the cache holds no valid binary.
#
# stdout: exactly one line, the absolute path of the executable.
# stderr: progress log. exit: 0 on success, non-zero with an ERROR line otherwise.
#
# Environment:
#   STAGEWALL_BENCH_PEERS   cache directory (default ${XDG_CACHE_HOME:-$HOME/.cache}/stagewall-bench/peers)
#   STAGEWALL_BENCH_REBUILD set to 1 to rebuild even if the cache is valid.
# The compile runs under `nice -n 19`: the machine is shared.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
log() { printf '[bench-peers %s] %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

peer=${1:-}
case "$peer" in
  kyverno) module=github.com/kyverno/kyverno; pkg=$module/cmd/kyverno
    ldflags_extra="-X $module/pkg/version.BuildVersion=" ;;
  kube-score) module=github.com/zegl/kube-score; pkg=$module/cmd/kube-score
    ldflags_extra="-X main.version=" ;;
  *) die "usage: $0 kyverno|kube-score" ;;
esac
dir="$here/$peer"

if ! command -v go >/dev/null 2>&1 && [[ -x /usr/local/go/bin/go ]]; then export PATH="/usr/local/go/bin:$PATH"; fi
command -v go >/dev/null 2>&1 || die "go is not on PATH"

version=$(awk -v m="$module" '$1 == "require" && $2 == m { print $3 }' "$dir/go.mod")
[[ "$version" =~ ^v[0-9]+\.[0-9]+\.[0-9]+$ ]] || die "cannot read the $module version from $dir/go.mod (got '$version')"
ldflags="-s -w ${ldflags_extra}$version"

recipe_version=1 # bump when the build recipe changes in a way that matters
inputs_hash=$(
  { cat "$dir/go.mod" "$dir/go.sum"; printf '%s\n' "$recipe_version" "$ldflags" "$(go env GOOS GOARCH GOVERSION)"; } |
    sha256sum | cut -d' ' -f1
)
stamp_key="key=$peer-$version inputs-$inputs_hash"

out=${STAGEWALL_BENCH_PEERS:-${XDG_CACHE_HOME:-${HOME:?HOME is unset; set STAGEWALL_BENCH_PEERS}/.cache}/stagewall-bench/peers}/$peer-$version
bin="$out/$peer"
stamp="$out/.stamp"
cache_valid() {
  [[ "${STAGEWALL_BENCH_REBUILD:-0}" != 1 && -x "$bin" && -f "$stamp" ]] && grep -qxF "$stamp_key" "$stamp"
}
if cache_valid; then
  log "reusing cached $peer $version in $out"
  printf '%s\n' "$bin"
  exit 0
fi
if [[ "${2:-}" == --cached ]]; then
  log "ERROR: $peer $version is not built in $out; run bench/peers/build.sh $peer (tens of minutes cold for kyverno)"
  exit 3
fi

mkdir -p "$out" || die "cannot create $out"
out=$(cd "$out" && pwd); bin="$out/$peer"; stamp="$out/.stamp"
exec 9>"$out/.lock"
if ! flock -n 9; then log "another build holds $out/.lock; waiting for it"; flock 9; fi
if cache_valid; then log "reusing $peer $version just built by another process"; printf '%s\n' "$bin"; exit 0; fi
STAGEWALL_BENCH_REBUILD=0

tmp=$(mktemp -d "$out/.build.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
# As the peers' own release builds: static (CGO_ENABLED=0), stripped.
export CGO_ENABLED=0 GOWORK=off GOTOOLCHAIN=local GOFLAGS=-mod=readonly
start=$(date +%s)
log "downloading modules for $peer $version"
ok=0
for i in 1 2 3; do
  if (cd "$dir" && go list -deps -f '{{if false}}{{end}}' "$pkg") >&2; then ok=1; break; fi
  log "download attempt $i failed"; sleep 5
done
((ok)) || die "downloading modules for $peer failed; see the go output above"
log "compiling $pkg $version with $(go env GOVERSION) under nice -n 19 (kyverno: tens of minutes cold on 2 cores)"
(cd "$dir" && nice -n 19 go build -trimpath -ldflags="$ldflags" -o "$tmp/$peer" "$pkg") >&2 ||
  die "compiling $pkg $version failed; see the go output above"
"$tmp/$peer" --help >/dev/null 2>&1 || "$tmp/$peer" version >/dev/null 2>&1 ||
  die "built $peer does not run (neither --help nor version succeeds)"

rm -f "$stamp"
mv -f "$tmp/$peer" "$bin" || die "cannot move $peer into $out"
printf '%s\n%s=%s\ngo=%s\nbuilt=%s\nbuild_seconds=%s\n' "$stamp_key" "$peer" "$version" "$(go env GOVERSION)" \
  "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$(($(date +%s) - start))" >"$stamp.tmp"
mv -f "$stamp.tmp" "$stamp"
log "built $peer $version in $(($(date +%s) - start))s: $bin"
printf '%s\n' "$bin"
