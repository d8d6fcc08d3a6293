#!/usr/bin/env bash
# Whole-process comparison for issue 3: `slipway diff --repo … --json` against
# `git log --name-only live..test` on the same 10,000-commit repository (the one
# `cargo bench --bench vcs_diff` generates under target/). Prints the median of 9 runs.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=target/bench-repo-10000
[ -f "$repo/done" ] || { echo "run 'cargo bench --bench vcs_diff' first (it builds $repo)"; exit 1; }
cargo build --release --quiet
bin=target/release/slipway
test=$(git -C "$repo" rev-parse main)
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
run() { # label, command…
  local label=$1; shift
  # perf stat's repeated runs are the precise measure; without perf, wall clock from date.
  if command -v perf >/dev/null 2>&1 && perf stat -r 1 true >/dev/null 2>&1; then
    local secs
    secs=$(perf stat -r 15 "$@" 2>&1 >/dev/null | awk '/seconds time elapsed/ {print $1}')
    printf '%-58s %6s ms (perf stat, 15 runs)\n' "$label" "$(awk -v s="$secs" 'BEGIN { printf "%.1f", s * 1000 }')"
    return
  fi
  local times=()
  for _ in 1 2 3 4 5 6 7 8 9; do
    local start end
    start=$(date +%s%N); "$@" > /dev/null; end=$(date +%s%N)
    times+=($(( (end - start) / 1000000 )))
  done
  printf '%-58s %6s ms\n' "$label" "$(printf '%s\n' "${times[@]}" | median)"
}
for behind in 50 500 8000; do
  live=$(git -C "$repo" rev-list --first-parent main | sed -n "$((behind + 1))p")
  count=$(git -C "$repo" rev-list --count "$live..$test")
  echo "live..test: $behind first-parent commits, $count in all"
  run "  git log --name-only live..test" git -C "$repo" log --name-only "$live..$test"
  run "  slipway diff --repo … --json (risk flags, merges folded)" "$bin" diff --repo "$repo" --live "$live" --test "$test" --json
done
