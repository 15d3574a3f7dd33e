#!/usr/bin/env bash
# Runs gocsp's benchmarks against Go, Boost.Fiber and std::thread and writes docs/benchmarks.md
# with its plots in docs/benchmarks/.
#
#   bash benchmarks/run.sh [--quick]
#
# Installs what is missing (golang-go, libboost-fiber-dev, python3-matplotlib and the build's own
# packages; needs root or sudo), builds the runners in Release, then runs every workload
# alternating between the implementations (BENCH_RUNS rounds each, default 3; 1 with --quick),
# and the scaling sweeps: spawn and parked at 10^3..10^6 goroutines, pingpong and mpmc1024 with
# 1, 2, 4 and 8 worker threads, echo at 10..10000 connections, the channel workloads written in
# main() (gocsp_bench_main) beside a goroutine and Go; then burst (round trips right
# after 100,000 goroutines exit) against Go alone, with twice the rounds (its figure is a worst
# case, the noisiest kind); then cancel (cancel() to the return of sleep, blocking, read, accept
# and dial) against Go alone; then the server workloads (fanout at 10..5000 subscribers, churn,
# dialecho, walk) against Go alone, once on the quiet machine and once beside a busy loop per
# core. A full run (3 rounds) took 8 minutes on a quiet 2-core machine before the server
# workloads (they add about 3 minutes), three times as long under heavy load; --quick (or
# BENCH_QUICK=1) takes a few minutes with tenfold smaller N and fewer points, for checking the
# pipeline.
#
# A run that exceeds BENCH_TIMEOUT seconds (default 100) is reported as such, and that
# implementation is not run again for that workload at the same or a larger N.
#
# Environment: GOCSP_BUILD_DIR (default build), GOCSP_CMAKE_ARGS (see .ci/lib.sh), BENCH_RUNS,
# BENCH_OUT (default docs/benchmarks.md; plots go to its directory's benchmarks/ folder),
# BENCH_RESULTS (where the raw JSON goes; default $GOCSP_BUILD_DIR/benchmarks/results).
set -euo pipefail
# shellcheck source=.ci/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../.ci/lib.sh"

quick=${BENCH_QUICK:-0}
for arg in "$@"; do
    case $arg in
        --quick) quick=1 ;;
        *) gocsp_log "usage: bash benchmarks/run.sh [--quick]"; exit 2 ;;
    esac
done

GOCSP_DEPS+=(golang-go libboost-fiber-dev python3-matplotlib)
gocsp_install_deps
gocsp_configure >/dev/null

bin=$GOCSP_BUILD_DIR/benchmarks
targets=(gocsp_bench thread_bench)
available=$(cmake --build "$GOCSP_BUILD_DIR" --target help)
for t in fiber_bench go_bench; do
    if grep -qw "$t" <<<"$available"; then targets+=("$t"); else gocsp_log "$t is not built (see the configure messages)"; fi
done
cmake --build "$GOCSP_BUILD_DIR" --parallel "$(nproc)" --target "${targets[@]}"

# echo at 10000 connections needs 20000+ descriptors in one process (Go raises its soft limit to
# the hard one by itself; the C++ runners do too).
ulimit -Hn 65536 2>/dev/null || true
ulimit -Sn "$(ulimit -Hn)" 2>/dev/null || true

peers=()
for t in go_bench fiber_bench thread_bench; do
    if [[ " ${targets[*]} " == *" $t "* ]]; then peers+=(--peer "${t%_bench}=$bin/$t"); fi
done
# The sweeps over worker counts leave out std::thread (it has no worker pool), and echo leaves
# out Boost.Fiber (no network poller).
no_thread=() no_fiber=()
for ((i = 0; i < ${#peers[@]}; i += 2)); do
    case ${peers[i + 1]} in thread=*) ;; *) no_thread+=("${peers[i]}" "${peers[i + 1]}") ;; esac
    case ${peers[i + 1]} in fiber=*) ;; *) no_fiber+=("${peers[i]}" "${peers[i + 1]}") ;; esac
done

if [ "$quick" = 1 ]; then
    runs=${BENCH_RUNS:-1}
    # Tenfold smaller N everywhere.
    main_n=(--n pingpong=100000 --n spawn=100000 --n skynet=100000 --n spsc0=100000
        --n spsc1=100000 --n spsc1024=100000 --n mpmc0=100000 --n mpmc1024=100000
        --n select4=100000 --n sieve=1000 --n parked=10000 --n echo=100 --n timers=1000
        --n yield=100000 --n rawswitch=1000000
        --n thread:pingpong=5000 --n thread:spsc0=5000 --n thread:spsc1=5000 --n thread:mpmc0=5000
        --n thread:spawn=5000 --n thread:sieve=300 --n thread:parked=5000)
    spawn_n=1000,10000,100000
    workers=1,2
    echo_n=10,100
    fanout_n=10,100
    server_n=(--n walk=10000 --n dialecho=100)
else
    runs=${BENCH_RUNS:-3}
    main_n=(--n fiber:spawn=100000 --n fiber:skynet=100000 --n fiber:spsc0=200000
        --n fiber:mpmc0=200000 --n thread:sieve=1000)
    spawn_n=1000,10000,100000,1000000
    workers=1,2,4,8
    echo_n=10,100,1000,10000
    fanout_n=10,100,1000,5000
    server_n=()
fi

# echo at N connections holds 2N descriptors (client and server ends) plus a few: where the hard
# limit on open files is lower (and cannot be raised), the largest point is the largest multiple
# of 1000 that fits.
echo_title="Echo server: loopback round trips against connections"
fd_limit=$(ulimit -Hn)
if [ "$fd_limit" != unlimited ]; then
    fits=$(( (fd_limit - 100) / 2 / 1000 * 1000 ))
    points=()
    for n in ${echo_n//,/ }; do
        if [ "$n" -le "$fits" ]; then points+=("$n"); else points+=("$fits"); break; fi
    done
    if [ "${points[*]}" != "${echo_n//,/ }" ]; then
        gocsp_log "echo: at most $fits connections fit in this machine's limit of $fd_limit open files"
        echo_title+=" (at most $fits here: the hard limit on open files is $fd_limit)"
        echo_n=$(IFS=,; echo "${points[*]}")
    fi
fi

results=${BENCH_RESULTS:-$GOCSP_BUILD_DIR/benchmarks/results}
out=${BENCH_OUT:-docs/benchmarks.md}
plots=$(dirname "$out")/benchmarks
mkdir -p "$results"
rm -f "$results"/*.json
# The plots want Debian's matplotlib: prefer the system Python over one earlier on PATH.
python=python3
if [ -x /usr/bin/python3 ]; then python=/usr/bin/python3; fi
compare=("$python" benchmarks/compare.py --gocsp "$bin/gocsp_bench" --runs "$runs" --timeout "${BENCH_TIMEOUT:-100}")
started=$(date +%s)

gocsp_log "main table ($runs round(s))"
"${compare[@]}" "${peers[@]}" "${main_n[@]}" --exclude burst --exclude cancel --exclude fanout --exclude churn --exclude walk \
    --title "All workloads" --json "$results/1-main.json"
# The channel workloads as a program ported from Go writes them: in main() itself (the runner
# gocsp_bench_main), beside the same code in a goroutine, and Go (whose main is a goroutine).
main_peers=(--peer main="$bin/gocsp_bench_main")
for ((i = 0; i < ${#peers[@]}; i += 2)); do
    case ${peers[i + 1]} in go=*) main_peers+=("${peers[i]}" "${peers[i + 1]}") ;; esac
done
gocsp_log "channel workloads from main() ($runs round(s))"
"${compare[@]}" "${main_peers[@]}" "${main_n[@]}" \
    --title "From main(): the channel workloads written in main(), beside a goroutine and Go" \
    --json "$results/1-from-main.json" pingpong spawn skynet spsc0 spsc1 spsc1024 mpmc0 mpmc1024 select4 sieve
gocsp_log "spawn and parked at N = $spawn_n"
"${compare[@]}" "${peers[@]}" --sweep-n "$spawn_n" \
    --title "Cost of a goroutine: spawn and parked memory against N" --json "$results/2-spawn.json" \
    spawn parked
gocsp_log "pingpong and mpmc1024 with $workers worker threads"
"${compare[@]}" "${no_thread[@]}" --workers "$workers" \
    --title "Scaling with worker threads" --json "$results/3-workers.json" pingpong mpmc1024
gocsp_log "echo at $echo_n connections"
"${compare[@]}" "${no_fiber[@]}" --sweep-n "$echo_n" \
    --title "$echo_title" --json "$results/4-echo.json" echo
go_peer=()
for ((i = 0; i < ${#peers[@]}; i += 2)); do
    case ${peers[i + 1]} in go=*) go_peer=("${peers[i]}" "${peers[i + 1]}") ;; esac
done
if [ ${#go_peer[@]} -gt 0 ]; then
    gocsp_log "burst ($((2 * runs)) rounds)"
    burst_n=()
    [ "$quick" = 1 ] && burst_n=(--n burst=10000)
    "$python" benchmarks/compare.py --gocsp "$bin/gocsp_bench" --runs "$((2 * runs))" \
        --timeout "${BENCH_TIMEOUT:-100}" "${go_peer[@]}" "${burst_n[@]}" \
        --title "Round trips right after a burst of goroutines exits" --json "$results/5-burst.json" burst
    gocsp_log "cancel ($runs round(s))"
    cancel_n=()
    [ "$quick" = 1 ] && cancel_n=(--n cancel=100)
    "${compare[@]}" "${go_peer[@]}" "${cancel_n[@]}" \
        --title "Cancellation: from cancel() to the return of sleep, blocking, read, accept and dial" \
        --json "$results/5-cancel.json" cancel
fi

if [ ${#go_peer[@]} -gt 0 ]; then
    # The server workloads, quiet and then loaded: one busy loop per core competes for the cores
    # (the hogs are ours: killed by their process ids when the runs end).
    server_runs() {  # TAG TITLE
        "${compare[@]}" "${go_peer[@]}" --sweep-n "$fanout_n" \
            --title "Fan-out: deliveries to TCP subscribers$2" --json "$results/$1-fanout.json" fanout
        "${compare[@]}" "${go_peer[@]}" "${server_n[@]}" \
            --title "Connection churn, dial and echo, and a directory walk$2" --json "$results/$1-server.json" churn dialecho walk
    }
    gocsp_log "server workloads, quiet (fanout at $fanout_n subscribers, churn, dialecho, walk)"
    server_runs 6 ""
    gocsp_log "server workloads beside $(nproc) busy loops"
    hogs=()
    for ((i = 0; i < $(nproc); i++)); do
        sh -c 'while :; do :; done' &
        hogs+=($!)
    done
    server_runs 7 ", beside a busy loop per core"
    kill "${hogs[@]}"
    wait "${hogs[@]}" 2>/dev/null || true
fi

command="bash benchmarks/run.sh"
[ "$quick" = 1 ] && command+=" --quick"
[ -n "${BENCH_RUNS:-}" ] && command="BENCH_RUNS=$BENCH_RUNS $command"
"$python" benchmarks/compare.py report --out "$out" --plots "$plots" --build-dir "$GOCSP_BUILD_DIR" \
    --command "$command" --intro benchmarks/report-intro.md \
    --gaps benchmarks/report-gaps.md "$results"/*.json
gocsp_log "done in $(( ($(date +%s) - started) / 60 )) min $(( ($(date +%s) - started) % 60 )) s"
