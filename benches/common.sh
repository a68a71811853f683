# Shared by benches/scale.sh and benches/dashboard.sh (sourced, not run):
# the scales, medians, GNU time, and the synthetic sandbox's start and stop.
# The caller sets BIN, WORK, READY_TIMEOUT and OUT, and kills $SANDBOX_PID
# in its EXIT trap.

SANDBOX_PID=

# The synthetic cluster of a scale name.
spec_of() {
    case $1 in
        S) echo "services=100,pods=500" ;;
        M) echo "services=2000,pods=10000" ;;
        L) echo "services=10000,pods=50000,namespaces=2000" ;;
        *) echo "unknown scale $1 (S, M or L)" >&2; exit 2 ;;
    esac
}

# The median of the numbers on stdin, one per line.
median() { sort -g | awk '{a[NR]=$1} END {if (NR%2) print a[(NR+1)/2]; else print (a[NR/2]+a[NR/2+1])/2}'; }

# GNU time (/usr/bin/time), for peak RSS.
need_gnu_time() {
    if [[ ! -x /usr/bin/time ]]; then
        echo "installing GNU time (/usr/bin/time) for peak RSS…" >&2
        apt-get install -y time >/dev/null
    fi
}

# Start `svc-doctor sandbox --synthetic SPEC` writing KUBECONFIG, wait (at
# most READY_TIMEOUT s) for its ready line, and note in $OUT how long it took
# and its RSS. Sets SANDBOX_PID.
start_sandbox() {
    local scale=$1 spec=$2 kubeconfig=$3 start ready
    start=$(date +%s.%N)
    "$BIN" sandbox --synthetic "$spec" --kubeconfig-out "$kubeconfig" >"$WORK/sandbox.out" 2>"$WORK/sandbox.err" &
    SANDBOX_PID=$!
    for _ in $(seq $((READY_TIMEOUT * 5))); do
        grep -q '^sandbox listening on' "$WORK/sandbox.out" 2>/dev/null && break
        kill -0 "$SANDBOX_PID" 2>/dev/null || { cat "$WORK/sandbox.err" >&2; exit 1; }
        sleep 0.2
    done
    grep -q '^sandbox listening on' "$WORK/sandbox.out" || { echo "sandbox not ready after ${READY_TIMEOUT}s" >&2; exit 1; }
    ready=$(echo "$(date +%s.%N) - $start" | bc)
    echo "# $scale sandbox ready after ${ready}s, RSS $(awk '/VmRSS/ {print $2}' "/proc/$SANDBOX_PID/status") KiB" >>"$OUT"
}

stop_sandbox() {
    if [[ -n $SANDBOX_PID ]] && kill -0 "$SANDBOX_PID" 2>/dev/null; then
        kill "$SANDBOX_PID" 2>/dev/null || true
        wait "$SANDBOX_PID" 2>/dev/null || true
    fi
    SANDBOX_PID=
}
