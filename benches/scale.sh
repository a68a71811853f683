#!/usr/bin/env bash
# svc-doctor at cluster scale, side by side with kubectl (issue 5).
#
# For each scale, one synthetic sandbox (svc-doctor sandbox --synthetic) and,
# against it, interleaved runs of
#   A  svc-doctor check -A -o json > /dev/null
#   B  kubectl get services,endpointslices,pods -A -o json > /dev/null
# each measured by /usr/bin/time -f '%e %M' (wall seconds, peak RSS in KiB).
# One warm-up run of each is discarded (kubectl's discovery cache, page
# cache); then RUNS measured runs. Medians and the ratios A/B are printed as
# a table; every raw number goes to $OUT.
#
#   benches/scale.sh                 # S M L, 5 runs each (about 30 minutes)
#   SCALES="S M" RUNS=3 benches/scale.sh
#   SKIP_BUILD=1 OUT=/tmp/scale.tsv benches/scale.sh
#   BIN=/tmp/svc-doctor SKIP_BUILD=1 benches/scale.sh   # a copy of the binary
#
# Scales: S 100 Services / 500 pods; M 2,000 / 10,000; L 10,000 / 50,000 in
# 2,000 namespaces. Everything listens on 127.0.0.1 only; each command is
# bounded by `timeout`; the sandboxes are killed on exit (trap).
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT=$PWD
RUNS=${RUNS:-5}
SCALES=${SCALES:-S M L}
OUT=${OUT:-$ROOT/target/scale-$(date +%Y%m%d-%H%M%S).tsv}
TIMEOUT=${TIMEOUT:-900}          # per command, seconds
READY_TIMEOUT=${READY_TIMEOUT:-300}
BIN=${BIN:-$ROOT/target/release/svc-doctor}
WORK=$(mktemp -d /tmp/svc-doctor-scale.XXXXXX)
# shellcheck source=benches/common.sh
source "$ROOT/benches/common.sh"

cleanup() {
    stop_sandbox
    rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

need_gnu_time
command -v kubectl >/dev/null || { echo "kubectl is needed" >&2; exit 2; }
if [[ ${SKIP_BUILD:-0} != 1 ]]; then
    cargo build --release --locked --quiet
fi

# One measured command: prints "wall_s peak_rss_kib".
measure() {
    local stats=$WORK/time.txt
    # check exits 1 when a step fails (the cluster has broken Services).
    if ! /usr/bin/time -o "$stats" -f '%e %M' timeout "$TIMEOUT" "$@" >/dev/null 2>"$WORK/err.txt"; then
        local code
        code=$(sed -n 's/^Command exited with non-zero status //p' "$stats")
        if [[ $code != 1 ]]; then
            echo "failed ($code): $*" >&2
            cat "$WORK/err.txt" >&2
            exit 1
        fi
    fi
    tail -n1 "$stats"
}

{
    echo "# svc-doctor benches/scale.sh $(date -u +%Y-%m-%dT%H:%M:%SZ) commit $(git rev-parse --short HEAD 2>/dev/null || echo '?')"
    echo "# nproc $(nproc); cpu $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //'); mem $(free -h | awk '/^Mem:/ {print $2}')"
    echo "# kubectl $(kubectl version --client 2>/dev/null | head -n1)"
    printf 'scale\tspec\ttool\trun\twall_s\tpeak_rss_kib\tload1\n'
} >"$OUT"

declare -A RESULT
for scale in $SCALES; do
    spec=$(spec_of "$scale")
    kubeconfig=$WORK/$scale.kubeconfig
    echo "== $scale ($spec): starting the sandbox…" >&2
    start_sandbox "$scale" "$spec" "$kubeconfig"

    A=("$BIN" --kubeconfig "$kubeconfig" check -A -o json)
    B=(kubectl --kubeconfig "$kubeconfig" --cache-dir "$WORK/kube-cache-$scale" get services,endpointslices,pods -A -o json)
    echo "   warm-up…" >&2
    measure "${A[@]}" >/dev/null
    measure "${B[@]}" >/dev/null
    for run in $(seq "$RUNS"); do
        for tool in A B; do
            if [[ $tool == A ]]; then r=$(measure "${A[@]}"); else r=$(measure "${B[@]}"); fi
            load=$(cut -d' ' -f1 /proc/loadavg)
            printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$scale" "$spec" "$tool" "$run" ${r% *} ${r#* } "$load" >>"$OUT"
            echo "   run $run $tool: ${r% *} s, ${r#* } KiB (load $load)" >&2
        done
    done
    for tool in A B; do
        RESULT[$scale,$tool,wall]=$(awk -F'\t' -v s="$scale" -v t="$tool" '$1==s && $3==t {print $5}' "$OUT" | median)
        RESULT[$scale,$tool,rss]=$(awk -F'\t' -v s="$scale" -v t="$tool" '$1==s && $3==t {print $6}' "$OUT" | median)
    done
    stop_sandbox
done

{
    echo
    printf '%-6s %12s %12s %8s %14s %14s %8s\n' scale "A wall s" "B wall s" "A/B" "A RSS MiB" "B RSS MiB" "A/B"
    for scale in $SCALES; do
        aw=${RESULT[$scale,A,wall]} bw=${RESULT[$scale,B,wall]}
        ar=${RESULT[$scale,A,rss]} br=${RESULT[$scale,B,rss]}
        printf '%-6s %12.2f %12.2f %8.2f %14.0f %14.0f %8.2f\n' "$scale" "$aw" "$bw" \
            "$(echo "$aw / $bw" | bc -l)" "$(echo "$ar / 1024" | bc -l)" "$(echo "$br / 1024" | bc -l)" \
            "$(echo "$ar / $br" | bc -l)"
    done
    echo "(A = svc-doctor check -A -o json, B = kubectl get services,endpointslices,pods -A -o json;"
    echo " medians of $RUNS runs; raw numbers in $OUT)"
} | tee -a "$OUT.table"
