#!/usr/bin/env bash
# Instructions per full diagnosis, counted exactly (issue 5).
#
# The wall time of `diagnose/full` (benches/engine.rs) moves by a tenth from
# one run to the next on a shared machine, so a change that saves a few per
# cent of the engine's work is lost in it. The instructions are not: this
# runs benches/work.rs (build a synthetic snapshot, diagnose it N times)
# under valgrind's cachegrind twice, with one diagnosis and with three, on
# one rayon thread, and takes the difference. What is left is two
# diagnoses' instructions, the snapshot's construction cancelled out.
#
# Prints the instructions per diagnosis and the functions that execute most
# of them (each function's own instructions, with what the compiler inlined
# into it). Two builds compared: run it on a copy of each (BIN).
#
#   benches/instructions.sh                              # M: 2,000 Services, about 2 minutes
#   BENCH_SCALE=services=100,pods=500 benches/instructions.sh
#   BIN=/tmp/work-copy SKIP_BUILD=1 TOP=60 benches/instructions.sh
#
# From one run to the next the count moves by about 0.5 % (hash seeds differ
# per process). Needs valgrind (`apt-get install -y valgrind`). Nothing
# listens on any port; each valgrind run is bounded by `timeout`.
set -euo pipefail

cd "$(dirname "$0")/.."
TOP=${TOP:-30}
TIMEOUT=${TIMEOUT:-1200}   # per valgrind run, seconds
export BENCH_SCALE=${BENCH_SCALE:-services=2000,pods=10000}

if ! command -v valgrind > /dev/null; then
    echo "instructions.sh: valgrind is needed (apt-get install -y valgrind)" >&2
    exit 2
fi
if [ -z "${SKIP_BUILD:-}" ]; then
    BIN=$(cargo bench --bench work --no-run 2>&1 | sed -n 's/.*Executable .*(\(.*\))$/\1/p')
fi
if [ -z "${BIN:-}" ] || [ ! -x "$BIN" ]; then
    echo "instructions.sh: no benches/work.rs binary (BIN=${BIN:-})" >&2
    exit 2
fi

WORK=$(mktemp -d /tmp/svc-doctor-instructions.XXXXXX)
trap 'rm -rf "$WORK"' EXIT

count() {
    RAYON_NUM_THREADS=1 BENCH_DIAGNOSES=$1 timeout "$TIMEOUT" \
        valgrind --tool=cachegrind --cache-sim=no \
        --cachegrind-out-file="$WORK/$1.out" "$BIN" > "$WORK/$1.log" 2>&1
}
count 1 &
one=$!
count 3 &
three=$!
wait "$one"
wait "$three"

refs() { sed -n 's/.*I *refs: *\([0-9,]*\).*/\1/p' "$WORK/$1.log" | tr -d ,; }
per=$((($(refs 3) - $(refs 1)) / 2))
services=$(sed -n 's/.* \([0-9]*\) Services.*/\1/p' "$WORK/1.log")
echo "$BENCH_SCALE: $services Services"
echo "instructions per diagnosis: $per ($((per / services)) per Service)"
echo

# Each function's share of two diagnoses: the difference of the two runs,
# summed over the source files of what was inlined into it.
cg_diff "$WORK/1.out" "$WORK/3.out" > "$WORK/diff.out" 2> /dev/null
cg_annotate --threshold=0 "$WORK/diff.out" 2> /dev/null |
    sed -nE 's/^ *(-?[0-9,]+) +\([^)]*\) +[^:]*:(.*)$/\1\t\2/p' |
    awk -F'\t' '
        { gsub(",", "", $1); sum[$2] += $1 }
        END {
            for (f in sum) printf "%d\t%s\n", sum[f] / 2, f
        }' |
    sort -t$'\t' -k1,1nr | head -n "$TOP" |
    awk -F'\t' -v per="$per" '{ printf "%6.2f%% %12d  %s\n", 100 * $1 / per, $1, substr($2, 1, 110) }'
