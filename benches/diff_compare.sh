#!/usr/bin/env bash
# Whole-process comparison (issues 3 and 12): `slipway diff --repo … --json` against
# `git log --name-only live..test` on the same range, time and peak memory.
#
# Shapes: the two histories `cargo bench --bench vcs_diff` generates under target/
#   - target/bench-repo-10000: 10,000 commits, merges, two to five files per commit;
#   - target/bench-repo-small-10500: 10,500 linear commits, a 24-file tree, one file
#     changed per commit (the fixed cost per commit dominates);
# and any real repositories given as arguments (their whole first-parent history, e.g.
# clones of bottom and gitui): benches/diff_compare.sh ~/src/bottom ~/src/gitui
#
# Prints the median of 9 runs (or perf stat's mean of 15 when perf works) and the peak
# RSS (/usr/bin/time -v) of each command.
set -euo pipefail
cd "$(dirname "$0")/.."
big=target/bench-repo-10000
small=target/bench-repo-small-10500
for repo in "$big" "$small"; do
  [ -f "$repo/done" ] || { echo "run 'cargo bench --bench vcs_diff' first (it builds $repo)"; exit 1; }
done
cargo build --release --quiet
bin=target/release/slipway
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
rss() { # peak resident set of one run, MiB
  if [ -x /usr/bin/time ]; then
    /usr/bin/time -v "$@" 2>&1 >/dev/null | awk '/Maximum resident set size/ {printf "%.0f MiB", $6 / 1024}'
  fi
}
run() { # label, command…
  local label=$1; shift
  # perf stat's repeated runs are the precise measure; without perf, wall clock from date.
  if command -v perf >/dev/null 2>&1 && perf stat -r 1 true >/dev/null 2>&1; then
    local secs
    secs=$(perf stat -r 15 "$@" 2>&1 >/dev/null | awk '/seconds time elapsed/ {print $1}')
    printf '%-58s %6s ms (perf stat, 15 runs)  %s\n' "$label" "$(awk -v s="$secs" 'BEGIN { printf "%.1f", s * 1000 }')" "$(rss "$@")"
    return
  fi
  local times=()
  for _ in 1 2 3 4 5 6 7 8 9; do
    local start end
    start=$(date +%s%N); "$@" > /dev/null; end=$(date +%s%N)
    times+=($(( (end - start) / 1000000 )))
  done
  printf '%-58s %6s ms  %s\n' "$label" "$(printf '%s\n' "${times[@]}" | median)" "$(rss "$@")"
}
compare() { # repo, live, test
  local repo=$1 live=$2 test=$3
  echo "$repo live..test: $(git -C "$repo" rev-list --count "$live..$test") commits"
  run "  git log --name-only live..test" git -C "$repo" log --name-only "$live..$test"
  run "  slipway diff --repo … --json (risk flags, merges folded)" "$bin" diff --repo "$repo" --live "$live" --test "$test" --json
}
echo "load: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) cores"
test=$(git -C "$big" rev-parse main)
for behind in 50 500 8000; do
  compare "$big" "$(git -C "$big" rev-list --first-parent main | sed -n "$((behind + 1))p")" "$test"
done
compare "$small" "$(git -C "$small" rev-list --first-parent main | tail -1)" "$(git -C "$small" rev-parse main)"
for repo in "$@"; do
  compare "$repo" "$(git -C "$repo" rev-list --first-parent HEAD | tail -1)" "$(git -C "$repo" rev-parse HEAD)"
done
