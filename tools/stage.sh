#!/usr/bin/env bash
# Run one stage of `make test`, print how long it took, and record it for the summary.
#   tools/stage.sh NAME command [args...]
set -uo pipefail
name=$1; shift
log=${STAGE_LOG:-.build/stages.txt}
mkdir -p "$(dirname "$log")"
printf '\n\033[1m==> %s\033[0m\n' "$name"
start=$(date +%s.%N)
"$@"
rc=$?
secs=$(awk -v s="$start" -v e="$(date +%s.%N)" 'BEGIN { printf "%.1f", e - s }')
if [ "$rc" -eq 0 ]; then result=ok; else result="FAILED (exit $rc)"; fi
printf '%-22s %7ss  %s\n' "$name" "$secs" "$result" | tee -a "$log"
exit "$rc"
