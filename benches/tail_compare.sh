#!/usr/bin/env bash
# Whole-process comparison (issue 5): slipway following a file that grows by 1,000,000
# lines, against `tail -F FILE | grep PATTERN` on the same file.
#
# Usage:
#   benches/tail_compare.sh [SLIPWAY_COMMAND]
#
# Without an argument it builds slipway in release and runs the real command,
#   slipway -c CONFIG logs bench -f -n 0 --grep "$PATTERN"
# through a config whose `file` log source points at the followed file (so the whole CLI
# runs: config, engine, instance listing, file source, sanitiser, filter, stdout).
#
# SLIPWAY_COMMAND, if given, is run instead with `sh -c`, with FILE and PATTERN exported;
# it must follow "$FILE" and print the lines matching "$PATTERN".
#
# Environment: LINES (default 1000000), PATTERN (default ERROR; every 10th line matches).
# Prints, per follower: wall time from the first write until the last line came out, the
# follower's CPU time (all its processes), and how many lines it printed.
set -euo pipefail

LINES=${LINES:-1000000}
PATTERN=${PATTERN:-ERROR}
here=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
FILE="$tmp/app.log"
export FILE PATTERN

if [ $# -ge 1 ]; then
  slipway_cmd=$1
else
  (cd "$here" && cargo build --release --bin slipway >&2)
  target=${CARGO_TARGET_DIR:-$here/target}
  # One stack with one instance named in config: nothing is asked of a platform (none
  # listens at that address; the failed version reads go to the diagnostics log).
  cat > "$tmp/slipway.toml" <<EOF
[release]
name = "bench"

[platform]
kind = "http"
base_url = "http://127.0.0.1:9/api"

[[stacks]]
id = "bench"
instances = [{ id = "app", host = "localhost" }]

[logs]
source = { kind = "file", path = "$FILE" }
EOF
  export XDG_STATE_HOME="$tmp/state"
  slipway_cmd="'$target/release/slipway' -c '$tmp/slipway.toml' logs bench -f -n 0 --grep \"\$PATTERN\""
fi

ticks=$(getconf CLK_TCK)

# CPU seconds used by every process in process group $1.
group_cpu() {
  local total=0 stat rest
  for s in /proc/[0-9]*/stat; do
    stat=$(cat "$s" 2>/dev/null) || continue
    rest=${stat##*) }
    # shellcheck disable=SC2086
    set -- $rest
    # after the comm: state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime stime
    if [ "$3" = "$pgid" ]; then
      total=$((total + ${12} + ${13}))
    fi
  done
  awk -v t="$total" -v k="$ticks" 'BEGIN { printf "%.2f", t / k }' 
}

measure() {
  local name=$1 cmd=$2 out="$tmp/out"
  : > "$FILE"
  : > "$out"
  setsid sh -c "$cmd" > "$out" 2>"$tmp/err" &
  local pid=$!
  pgid=$pid
  sleep 1 # let it open the file
  local start end
  start=$(date +%s.%N)
  awk -v n="$LINES" -v p="$PATTERN" 'BEGIN {
    for (i = 1; i <= n; i++) {
      if (i % 10 == 0) printf "2026-11-22T12:00:00.000Z %s request %d failed: upstream timeout after 5000ms\n", p, i;
      else printf "2026-11-22T12:00:00.000Z INFO request %d GET /api/v1/stacks/sally 200 in 12ms\n", i;
    }
    printf "END-OF-BENCH %s\n", p;
  }' >> "$FILE"
  local waited=0
  until grep -q "END-OF-BENCH" "$out"; do
    sleep 0.01
    waited=$((waited + 1))
    if [ $waited -gt 12000 ]; then
      echo "$name: timed out waiting for the last line" >&2
      break
    fi
  done
  end=$(date +%s.%N)
  local cpu
  cpu=$(group_cpu)
  kill -- -"$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  printf '%-36s wall %6.2fs  cpu %6ss  printed %d lines\n' "$name" \
    "$(awk -v a="$start" -v b="$end" 'BEGIN { print b - a }')" "$cpu" "$(wc -l < "$out")"
}

echo "machine: $(nproc) cores, $(lscpu | sed -n 's/^Model name: *//p')"
echo "appending $LINES lines to a followed file; every 10th matches $PATTERN"
measure "tail -F | grep --line-buffered" 'tail -n 0 -F "$FILE" | grep --line-buffered "$PATTERN"'
measure "slipway logs -f --grep" "$slipway_cmd"
