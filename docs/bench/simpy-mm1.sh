#!/usr/bin/env bash
# M/M/1 with a million customers in SimPy 3 and in tangle on this machine,
# one core each, and the ratio of their wall times (issue 15 aims at 30x).
# Run from the repository root: bash docs/bench/simpy-mm1.sh [rounds]
# Needs SimPy 3 for python3 (Debian: apt-get install python3-simpy3; or
# pip install 'simpy>=3,<5'); without it, says so and exits 0.
# Each round runs tangle then SimPy; the minimum of each is compared, as
# a loaded machine slows runs and never speeds them up.
set -euo pipefail
rounds=${1:-3}
cd "$(dirname "$0")/../.."
py=${PYTHON:-python3}
if ! "$py" -c 'import simpy' 2>/dev/null; then
	for alt in /usr/bin/python3; do
		if "$alt" -c 'import simpy' 2>/dev/null; then py=$alt; fi
	done
fi
if ! "$py" -c 'import simpy' 2>/dev/null; then
	echo "simpy-mm1: SimPy is not installed for $py; skipping the comparison"
	echo "  (apt-get install python3-simpy3, or pip install 'simpy>=3,<5', then rerun)"
	exit 0
fi
go=${GO:-go}
bin=$(mktemp -d)
trap 'rm -rf "$bin"' EXIT
"$go" test -c -o "$bin/topology.test" ./topology
pin=()
if command -v taskset >/dev/null 2>&1; then pin=(taskset -c 0); fi
best_tangle= best_simpy=
for ((i = 1; i <= rounds; i++)); do
	ns=$("${pin[@]}" "$bin/topology.test" -test.run '^$' -test.bench '^BenchmarkMM1$' -test.benchtime 1x -test.cpu 1 |
		awk '$1 ~ /^BenchmarkMM1/ {print $3}')
	t=$(awk -v ns="$ns" 'BEGIN {printf "%.6f", ns / 1e9}')
	out=$("${pin[@]}" "$py" docs/bench/simpy_mm1.py)
	s=$(awk '$1 == "seconds" {print $2}' <<<"$out")
	echo "round $i: tangle $t s, $(head -1 <<<"$out")"
	best_tangle=$(awk -v a="$t" -v b="${best_tangle:-$t}" 'BEGIN {print (a < b ? a : b)}')
	best_simpy=$(awk -v a="$s" -v b="${best_simpy:-$s}" 'BEGIN {print (a < b ? a : b)}')
done
awk -v t="$best_tangle" -v s="$best_simpy" \
	'BEGIN {printf "M/M/1, 1 M customers, best of rounds: tangle %.3f s, SimPy %.3f s: tangle %.1fx faster\n", t, s, s / t}'
