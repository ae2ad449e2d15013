#!/bin/sh
# Every libFuzzer target (make fuzz) replays its seed corpus
# (tests/fuzz/corpus/<name>/, when it has one), then runs a fixed number
# of mutated inputs from a fixed seed, so a run does the same work on any
# machine.  New inputs it finds go to a temporary directory, never into
# the tree.  A crash, a leak, a sanitizer report or a hang (-timeout, in
# seconds, per input) fails the target.
#
#   make fuzz && sh tests/fuzz-run.sh [RUNS]      (RUNS default 20000)
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
runs=${1:-20000}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/bpg-fuzz.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
pass=0 fail=0
for bin in "$top"/build-fuzz/fuzz_*; do
	[ -x "$bin" ] || continue
	name=${bin##*/fuzz_}
	mkdir -p "$tmp/$name"
	seeds=
	[ -d "$top/tests/fuzz/corpus/$name" ] &&
	    seeds=$top/tests/fuzz/corpus/$name
	if "$bin" -runs="$runs" -seed=1 -timeout=60 -rss_limit_mb=2048 \
	    -artifact_prefix="$tmp/" "$tmp/$name" $seeds \
	    >"$tmp/$name.log" 2>&1; then
		pass=$((pass + 1))
		echo "ok - fuzz_$name: $(grep -o 'cov: [0-9]*' \
		    "$tmp/$name.log" | tail -1), $(grep '^Done' \
		    "$tmp/$name.log")"
	else
		fail=$((fail + 1))
		echo "not ok - fuzz_$name"
		tail -40 "$tmp/$name.log"
	fi
done
echo "fuzz: $pass passed, $fail failed"
[ "$fail" -eq 0 ] && [ "$pass" -gt 0 ]
