#!/usr/bin/env bash
# The dashboard at cluster scale (issue 5): its first complete screen next to
# kubectl, and its memory under pod churn.
#
# For each scale, one synthetic sandbox (svc-doctor sandbox --synthetic) and,
# against it:
#   a. RUNS interleaved runs of
#        A  the dashboard (svc-doctor --kubeconfig K -A) in a detached 200x50
#           tmux session, until its log says `first complete screen
#           since_launch_ms=N`: N (process start to the first frame drawn with
#           a complete report after every initial list), and its VmRSS and
#           VmHWM at that moment (/proc/PID/status)
#        B  kubectl get services,endpointslices,pods -A -o json > /dev/null
#           under /usr/bin/time -f '%e %M' (wall seconds, peak RSS), as in
#           benches/scale.sh
#      after one discarded warm-up of each (WARMUP=0 to skip).
#   b. churn (CHURN=0 to skip): the dashboard again, and once its first
#      complete screen is up, benches/churn.py flips the readiness of
#      CHURN_PERCENT % of the pods per minute (default 1) for CHURN_MINUTES
#      minutes (default 10) while the dashboard's VmRSS is sampled every
#      SAMPLE_EVERY seconds (default 10). Then: RSS at start, max, final;
#      the dashboard must still run and its log must hold no panic; the tmux
#      pane is captured as evidence.
#
#   benches/dashboard.sh                          # L, 3 runs, 10 minutes of churn
#   SCALES="S M" RUNS=1 CHURN_MINUTES=1 benches/dashboard.sh
#   SKIP_BUILD=1 OUT=/tmp/dashboard.tsv CHURN=0 benches/dashboard.sh
#   SKIP_BUILD=1 RUNS=0 WARMUP=0 CHURN_MINUTES=30 benches/dashboard.sh   # churn only
#   BIN=/tmp/svc-doctor SKIP_BUILD=1 benches/dashboard.sh   # a copy, so target/ can be rebuilt meanwhile
#
# $OUT (a TSV) gets every raw number, one row per measurement:
#   scale spec tool run wall_s rss_kib peak_rss_kib load1
# tool A: wall_s is since_launch_ms / 1000, rss_kib VmRSS and peak_rss_kib
# VmHWM at the first complete screen. tool B: kubectl's wall and peak RSS
# (rss_kib NA). tool churn: run is the sample number (0 = the first
# complete screen, before churn starts), wall_s the seconds since churn
# started, rss_kib VmRSS, peak_rss_kib VmHWM. Comment lines (#) hold the
# context and churn.py's output. The summary goes to $OUT.table; dashboard
# logs, churn.py's output and the captured panes to $EVIDENCE (default
# $OUT without .tsv, plus .d).
#
# Scales: S 100 Services / 500 pods; M 2,000 / 10,000; L 10,000 / 50,000 in
# 2,000 namespaces. Everything listens on 127.0.0.1 only, every wait is
# bounded, and the sandbox, the dashboards, churn.py and the private tmux
# server (its own socket, never the user's) are killed on exit (trap).
# Exit status 1 when a command fails, or when under churn the dashboard
# died, logged a panic, or more than 1% of the patches failed.
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT=$PWD
RUNS=${RUNS:-3}
SCALES=${SCALES:-L}
WARMUP=${WARMUP:-1}
CHURN=${CHURN:-1}
CHURN_MINUTES=${CHURN_MINUTES:-10}
CHURN_PERCENT=${CHURN_PERCENT:-1}
CHURN_SEED=${CHURN_SEED:-1}
SAMPLE_EVERY=${SAMPLE_EVERY:-10}
OUT=${OUT:-$ROOT/target/dashboard-$(date +%Y%m%d-%H%M%S).tsv}
EVIDENCE=${EVIDENCE:-${OUT%.tsv}.d}
TIMEOUT=${TIMEOUT:-900}                 # kubectl, seconds
READY_TIMEOUT=${READY_TIMEOUT:-300}     # the sandbox's ready line
SCREEN_TIMEOUT=${SCREEN_TIMEOUT:-600}   # the dashboard's first complete screen
STOP_TIMEOUT=${STOP_TIMEOUT:-20}        # the dashboard's exit after SIGTERM
DASH_LOG_FILTER=${DASH_LOG_FILTER:-info}  # SVC_DOCTOR_LOG for the dashboard
BIN=${BIN:-$ROOT/target/release/svc-doctor}
WORK=$(mktemp -d /tmp/svc-doctor-dashboard.XXXXXX)
TMUX_SOCKET=$WORK/tmux.sock            # a private tmux server, never the user's
# shellcheck source=benches/common.sh
source "$ROOT/benches/common.sh"
CHURN_PID=
DASH_PID=
export TERM=${TERM:-xterm-256color}

tm() { timeout 30 tmux -S "$TMUX_SOCKET" -f "$WORK/tmux.conf" "$@"; }

cleanup() {
    set +e
    if [[ -n $CHURN_PID ]] && kill -0 "$CHURN_PID" 2>/dev/null; then
        kill "$CHURN_PID" 2>/dev/null
        wait "$CHURN_PID" 2>/dev/null
    fi
    if [[ -n $DASH_PID ]] && kill -0 "$DASH_PID" 2>/dev/null; then
        kill "$DASH_PID" 2>/dev/null
        for _ in $(seq 50); do kill -0 "$DASH_PID" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$DASH_PID" 2>/dev/null
    fi
    timeout 10 tmux -S "$TMUX_SOCKET" kill-server 2>/dev/null
    stop_sandbox
    local pids
    pids=$(jobs -p)
    [[ -n $pids ]] && kill $pids 2>/dev/null
    rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

for scale in $SCALES; do spec_of "$scale" >/dev/null; done
[[ $CHURN_MINUTES =~ ^[1-9][0-9]*$ ]] || { echo "CHURN_MINUTES must be a whole number of minutes" >&2; exit 2; }
[[ $RUNS =~ ^[0-9]+$ ]] || { echo "RUNS must be a whole number (0: churn only)" >&2; exit 2; }

need_gnu_time
for tool in kubectl tmux python3 bc; do
    command -v "$tool" >/dev/null || { echo "$tool is needed" >&2; exit 2; }
done
if [[ ${SKIP_BUILD:-0} != 1 ]]; then
    cargo build --release --locked --quiet
fi
[[ -x $BIN ]] || { echo "no $BIN (build it, or unset SKIP_BUILD)" >&2; exit 2; }

# The private tmux server: no status line (the pane is the whole 200x50),
# dead panes stay so that their last screen can be captured.
printf 'set -g status off\nset -g remain-on-exit on\nset -g history-limit 0\n' >"$WORK/tmux.conf"
mkdir -p "$EVIDENCE" "$(dirname "$OUT")"

now() { date +%s.%N; }
now_us() { echo "${EPOCHREALTIME//[.,]/}"; }
since() { awk -v a="$(now)" -v b="$1" 'BEGIN {printf "%.1f", a - b}'; }
max_of() { sort -g | tail -n1; }
proc_kib() { awk -v k="$2:" '$1 == k {print $2}' "/proc/$1/status" 2>/dev/null || true; }
pane_dead() { [[ $(tm list-panes -t "$1" -F '#{pane_dead}' 2>/dev/null) != 0 ]]; }
# The panic hook logs `ERROR … panic panic=panicked at FILE:LINE:COL:`.
panics_in() { local n; n=$(grep -c 'panicked at' "$1" 2>/dev/null) || true; echo "${n:-0}"; }

# Start the dashboard in tmux session $1 logging to $2 (fresh); sets
# DASH_PID (the pane's pid: svc-doctor itself, thanks to exec).
start_dashboard() {
    local session=$1 log=$2
    rm -f "$log"
    tm new-session -d -s "$session" -x 200 -y 50 -e "SVC_DOCTOR_LOG=$DASH_LOG_FILTER" \
        "exec $(printf '%q' "$BIN") --kubeconfig $(printf '%q' "$kubeconfig") -A --log-file $(printf '%q' "$log")"
    DASH_PID=$(tm list-panes -t "$session" -F '#{pane_pid}')
}

# The dashboard's last screen and log tail on stderr, for a failure.
dashboard_post_mortem() {
    local session=$1 log=$2
    echo "--- pane $session:" >&2
    tm capture-pane -p -t "$session" 2>/dev/null | grep -v '^[[:space:]]*$' | tail -n 20 >&2 || true
    echo "--- log $log:" >&2
    tail -n 20 "$log" >&2 2>/dev/null || true
}

# Wait for the log line `first complete screen … since_launch_ms=N`; sets
# FIRST_MS=N. (Not in a subshell: its exit ends the script.)
wait_first_screen() {
    local session=$1 log=$2 deadline ms
    deadline=$(($(date +%s) + SCREEN_TIMEOUT))
    while :; do
        ms=$(grep -a 'first complete screen' "$log" 2>/dev/null | grep -o 'since_launch_ms=[0-9.]*' | head -n1 | cut -d= -f2 || true)
        [[ -n $ms ]] && break
        if pane_dead "$session"; then
            echo "the dashboard exited before its first complete screen" >&2
            dashboard_post_mortem "$session" "$log"
            exit 1
        fi
        if (($(date +%s) >= deadline)); then
            echo "no first complete screen after ${SCREEN_TIMEOUT}s" >&2
            dashboard_post_mortem "$session" "$log"
            exit 1
        fi
        sleep 0.1
    done
    FIRST_MS=$ms
}

# SIGTERM (the dashboard restores the terminal and exits; closing the pane
# instead would hang it up), bounded, then SIGKILL; then the session.
stop_dashboard() {
    local session=$1
    if [[ -n $DASH_PID ]]; then
        kill "$DASH_PID" 2>/dev/null || true
        local i
        for i in $(seq $((STOP_TIMEOUT * 10))); do
            pane_dead "$session" && break
            sleep 0.1
        done
        if ! pane_dead "$session"; then
            echo "   the dashboard ignored SIGTERM for ${STOP_TIMEOUT}s: SIGKILL" >&2
            kill -KILL "$DASH_PID" 2>/dev/null || true
            sleep 0.5
        fi
    fi
    tm kill-session -t "$session" 2>/dev/null || true
    DASH_PID=
}

# One dashboard run to its first complete screen, optionally capturing the
# pane into $3; sets M_WALL (seconds), M_RSS, M_HWM (KiB) and M_PANICS.
measure_dashboard() {
    local session=$1 log=$2
    start_dashboard "$session" "$log"
    wait_first_screen "$session" "$log"
    M_RSS=$(proc_kib "$DASH_PID" VmRSS)
    M_HWM=$(proc_kib "$DASH_PID" VmHWM)
    [[ -n $M_RSS ]] || { echo "cannot read /proc/$DASH_PID/status" >&2; dashboard_post_mortem "$session" "$log"; exit 1; }
    if [[ -n ${3:-} ]]; then tm capture-pane -p -t "$session" >"$3"; fi
    M_PANICS=$(panics_in "$log")
    stop_dashboard "$session"
    M_WALL=$(awk -v ms="$FIRST_MS" 'BEGIN {printf "%.3f", ms / 1000}')
}

# One kubectl run: "wall_s peak_rss_kib".
measure_kubectl() {
    local stats=$WORK/time.txt
    if ! /usr/bin/time -o "$stats" -f '%e %M' timeout "$TIMEOUT" \
        kubectl --kubeconfig "$kubeconfig" --cache-dir "$WORK/kube-cache-$scale" \
        get services,endpointslices,pods -A -o json >/dev/null 2>"$WORK/err.txt"; then
        echo "kubectl failed:" >&2
        cat "$stats" "$WORK/err.txt" >&2
        exit 1
    fi
    tail -n1 "$stats"
}

row() { # tool run wall_s rss_kib peak_rss_kib
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$scale" "$spec" "$1" "$2" "$3" "$4" "$5" \
        "$(cut -d' ' -f1 /proc/loadavg)" >>"$OUT"
}

{
    echo "# svc-doctor benches/dashboard.sh $(date -u +%Y-%m-%dT%H:%M:%SZ) commit $(git rev-parse --short HEAD 2>/dev/null || echo '?')$(git diff --quiet HEAD -- src 2>/dev/null || echo ' (src modified)')"
    echo "# nproc $(nproc); cpu $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //'); mem $(free -h | awk '/^Mem:/ {print $2}')"
    echo "# $("$BIN" --version); kubectl $(kubectl version --client 2>/dev/null | head -n1); $(tmux -V); $(python3 --version)"
    echo "# RUNS=$RUNS WARMUP=$WARMUP CHURN=$CHURN CHURN_MINUTES=$CHURN_MINUTES CHURN_PERCENT=$CHURN_PERCENT CHURN_SEED=$CHURN_SEED SAMPLE_EVERY=$SAMPLE_EVERY; tmux 200x50; evidence in $EVIDENCE"
    printf 'scale\tspec\ttool\trun\twall_s\trss_kib\tpeak_rss_kib\tload1\n'
} >"$OUT"

declare -A RESULT
FAILED=0
for scale in $SCALES; do
    spec=$(spec_of "$scale")
    kubeconfig=$WORK/$scale.kubeconfig
    echo "== $scale ($spec): starting the sandbox…" >&2
    start_sandbox "$scale" "$spec" "$kubeconfig"

    # a. First complete screen, interleaved with kubectl.
    if ((WARMUP > 0)); then
        echo "   warm-up…" >&2
        measure_dashboard "first-$scale-0" "$EVIDENCE/dashboard-first-$scale-0.log"
        echo "   warm-up A: first complete screen $M_WALL s, RSS $M_RSS KiB" >&2
        r=$(measure_kubectl)
        echo "   warm-up B: ${r% *} s" >&2
    fi
    for run in $(seq "$RUNS"); do
        log=$EVIDENCE/dashboard-first-$scale-$run.log
        pane=
        [[ $run == 1 ]] && pane=$EVIDENCE/pane-first-$scale.txt
        measure_dashboard "first-$scale-$run" "$log" "$pane"
        row A "$run" "$M_WALL" "$M_RSS" "$M_HWM"
        echo "   run $run A: first complete screen $M_WALL s, RSS $M_RSS KiB, peak $M_HWM KiB (load $(cut -d' ' -f1 /proc/loadavg))" >&2
        if ((M_PANICS > 0)); then
            echo "   run $run A: the log holds $M_PANICS panic(s): $log" >&2
            echo "# $scale A run $run: $M_PANICS panic(s) in the log" >>"$OUT"
        fi
        r=$(measure_kubectl)
        row B "$run" "${r% *}" NA "${r#* }"
        echo "   run $run B: kubectl ${r% *} s, ${r#* } KiB (load $(cut -d' ' -f1 /proc/loadavg))" >&2
    done
    RESULT[$scale,A,wall]=$(awk -F'\t' -v s="$scale" '$1==s && $3=="A" {print $5}' "$OUT" | median)
    RESULT[$scale,A,rss]=$(awk -F'\t' -v s="$scale" '$1==s && $3=="A" {print $6}' "$OUT" | median)
    RESULT[$scale,A,peak]=$(awk -F'\t' -v s="$scale" '$1==s && $3=="A" {print $7}' "$OUT" | median)
    RESULT[$scale,B,wall]=$(awk -F'\t' -v s="$scale" '$1==s && $3=="B" {print $5}' "$OUT" | median)
    RESULT[$scale,B,peak]=$(awk -F'\t' -v s="$scale" '$1==s && $3=="B" {print $7}' "$OUT" | median)

    # b. Churn.
    if [[ $CHURN != 0 ]]; then
        session=churn-$scale
        log=$EVIDENCE/dashboard-churn-$scale.log
        churn_out=$EVIDENCE/churn-$scale.txt
        echo "   churn: the dashboard, then $CHURN_PERCENT% of the pods per minute for $CHURN_MINUTES min…" >&2
        start_dashboard "$session" "$log"
        wait_first_screen "$session" "$log"
        rss=$(proc_kib "$DASH_PID" VmRSS)
        row churn 0 0 "$rss" "$(proc_kib "$DASH_PID" VmHWM)"
        echo "# $scale churn: first complete screen after $FIRST_MS ms" >>"$OUT"
        echo "   churn: first complete screen after $FIRST_MS ms, RSS $rss KiB" >&2
        timeout $((CHURN_MINUTES * 60 + 300)) python3 "$ROOT/benches/churn.py" --kubeconfig "$kubeconfig" \
            --percent-per-minute "$CHURN_PERCENT" --minutes "$CHURN_MINUTES" --seed "$CHURN_SEED" \
            >"$churn_out" 2>&1 &
        CHURN_PID=$!
        churn_start=$(now)
        churn_start_us=$(now_us)
        sample=0
        alive=yes
        while kill -0 "$CHURN_PID" 2>/dev/null; do
            next_us=$((churn_start_us + (sample + 1) * SAMPLE_EVERY * 1000000))
            while kill -0 "$CHURN_PID" 2>/dev/null && (($(now_us) < next_us)); do
                sleep 0.5
            done
            kill -0 "$CHURN_PID" 2>/dev/null || break
            sample=$((sample + 1))
            if pane_dead "$session" || [[ -z $(proc_kib "$DASH_PID" VmRSS) ]]; then
                alive=no
                echo "   churn: the dashboard died after $(since "$churn_start") s" >&2
                kill "$CHURN_PID" 2>/dev/null || true
                break
            fi
            row churn "$sample" "$(since "$churn_start")" \
                "$(proc_kib "$DASH_PID" VmRSS)" "$(proc_kib "$DASH_PID" VmHWM)"
            if ((sample % 6 == 0)); then
                echo "   churn: $(since "$churn_start") s, dashboard RSS $(proc_kib "$DASH_PID" VmRSS) KiB $(grep '^churn: minute' "$churn_out" | tail -n1 | sed 's/^churn: /(/; s/$/)/')" >&2
            fi
        done
        churn_rc=0
        wait "$CHURN_PID" || churn_rc=$?
        CHURN_PID=
        # The final sample, as churn ends.
        if [[ $alive == yes ]] && ! pane_dead "$session" && [[ -n $(proc_kib "$DASH_PID" VmRSS) ]]; then
            sample=$((sample + 1))
            row churn "$sample" "$(since "$churn_start")" \
                "$(proc_kib "$DASH_PID" VmRSS)" "$(proc_kib "$DASH_PID" VmHWM)"
            final_hwm=$(proc_kib "$DASH_PID" VmHWM)
        else
            alive=no
            final_hwm=NA
        fi
        tm capture-pane -p -t "$session" >"$EVIDENCE/pane-churn-$scale.txt" 2>/dev/null || true
        panics=$(panics_in "$log")
        [[ $alive == no ]] && dashboard_post_mortem "$session" "$log"
        stop_dashboard "$session"
        sed 's/^/# /' "$churn_out" >>"$OUT"

        samples=$(awk -F'\t' -v s="$scale" '$1==s && $3=="churn" {print $6}' "$OUT")
        RESULT[$scale,churn,start]=$(head -n1 <<<"$samples")
        RESULT[$scale,churn,max]=$(max_of <<<"$samples")
        RESULT[$scale,churn,final]=$(tail -n1 <<<"$samples")
        RESULT[$scale,churn,hwm]=$final_hwm
        RESULT[$scale,churn,alive]=$alive
        RESULT[$scale,churn,panics]=$panics
        RESULT[$scale,churn,rc]=$churn_rc
        RESULT[$scale,churn,total]=$(grep -m1 '^churn: total' "$churn_out" || echo "churn.py: no total (exit $churn_rc)")
        echo "# $scale churn: exit $churn_rc, dashboard alive $alive, panic lines $panics" >>"$OUT"
        if [[ $alive != yes ]] || ((panics > 0)) || ((churn_rc != 0)); then FAILED=1; fi
    fi

    stop_sandbox
done

mib() { [[ $1 == NA || -z $1 ]] && echo NA || echo "scale=0; ($1 + 512) / 1024" | bc; }
{
    # RUNS=0 measures churn only: no first-screen table.
    if ((RUNS > 0)); then
        echo
        printf '%-6s %14s %12s %8s %14s %14s %14s\n' scale "A screen s" "B wall s" "A/B" "A RSS MiB" "A peak MiB" "B peak MiB"
        for scale in $SCALES; do
            aw=${RESULT[$scale,A,wall]} bw=${RESULT[$scale,B,wall]}
            printf '%-6s %14.2f %12.2f %8.2f %14s %14s %14s\n' "$scale" "$aw" "$bw" \
                "$(echo "$aw / $bw" | bc -l)" "$(mib "${RESULT[$scale,A,rss]}")" \
                "$(mib "${RESULT[$scale,A,peak]}")" "$(mib "${RESULT[$scale,B,peak]}")"
        done
        echo "(A = the dashboard's first complete screen (since_launch_ms), its VmRSS and VmHWM then;"
        echo " B = kubectl get services,endpointslices,pods -A -o json, wall and peak RSS;"
        echo " medians of $RUNS runs; raw numbers in $OUT)"
    fi
    if [[ $CHURN != 0 ]]; then
        echo
        printf '%-6s %10s %10s %10s %10s %6s %7s  %s\n' scale "start MiB" "max MiB" "final MiB" "peak MiB" alive panics churn.py
        for scale in $SCALES; do
            printf '%-6s %10s %10s %10s %10s %6s %7s  %s\n' "$scale" \
                "$(mib "${RESULT[$scale,churn,start]}")" "$(mib "${RESULT[$scale,churn,max]}")" \
                "$(mib "${RESULT[$scale,churn,final]}")" "$(mib "${RESULT[$scale,churn,hwm]}")" \
                "${RESULT[$scale,churn,alive]}" "${RESULT[$scale,churn,panics]}" \
                "${RESULT[$scale,churn,total]#churn: total }"
        done
        echo "(the dashboard's VmRSS under churn: $CHURN_PERCENT% of the pods' readiness flipped per minute for"
        echo " $CHURN_MINUTES min, sampled every ${SAMPLE_EVERY}s: at its first complete screen, max sampled, final;"
        echo " peak = VmHWM at the end; evidence in $EVIDENCE)"
    fi
} | tee -a "$OUT.table"
exit "$FAILED"
