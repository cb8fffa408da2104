#!/usr/bin/env bash
# Usage: expect-output.sh LINE|TEXT EXPECTED COMMAND [ARG...]
#
# Runs COMMAND and succeeds when its output (stdout and stderr) holds EXPECTED: as a whole line
# (LINE) or anywhere (TEXT). Otherwise prints the first lines of the output on stderr and fails.
#
# The output is captured whole before it is matched. Piping the command into `grep -q` under
# pipefail would race with SIGPIPE: grep exits at the first match, the command dies writing the
# rest, and the pipeline fails although the text was there (seen on fresh machines with etcd).
set -uo pipefail

[[ $# -ge 3 ]] || { echo "usage: $0 LINE|TEXT EXPECTED COMMAND [ARG...]" >&2; exit 2; }
mode=$1 expected=$2
shift 2
case $mode in
  LINE) flags=-qxF ;;
  TEXT) flags=-qF ;;
  *) echo "$0: the mode is LINE or TEXT, not '$mode'" >&2; exit 2 ;;
esac

output=$("$@" 2>&1)
if grep "$flags" -- "$expected" <<<"$output"; then exit 0; fi
printf '%s\n' "$output" | head -3 >&2 || true
exit 1
