#!/usr/bin/env bash
# What broker metrics cost the send path: send throughput with metricsExporterType=PROM (and
# /metrics scraped as Prometheus would, every SCRAPE_SECONDS) against the same broker with metrics
# off, for Thrust's mqbroker and the Java 5.3.3 broker, measured by thrust-bench (no JVM client
# in the way). Issue #15's bound: Thrust's cost at most 2 %.
#
#   bench/metrics-cost.sh                   # 3 rounds, 15 s per load
#   QUICK=1 bench/metrics-cost.sh           # 1 round, 4 s per load
#   ROUNDS=5 RUN_SECONDS=20 WARMUP_SECONDS=2 JIT_SECONDS=10 SIZE=1024 CONNECTIONS=16 INFLIGHT=16 \
#     SCRAPE_SECONDS=5 KINDS="ours java" PIN=1 bench/metrics-cost.sh
#
# Per round, broker kind and setting, a fresh broker (bench_start_broker: 127.0.0.1,
# ASYNC_MASTER, ASYNC_FLUSH, auto-created topics; Java with -Xms1g -Xmx1g and G1 as
# bin/runbroker.sh), JIT_SECONDS of unmeasured sends, then CONNECTIONS × INFLIGHT pipelined
# single SIZE-byte sends for RUN_SECONDS after WARMUP_SECONDS: msg/s and the broker's CPU per
# message. With metrics on, a curl (on the load generator's CPUs) scrapes /metrics every
# SCRAPE_SECONDS meanwhile (5; Prometheus' default interval is 15 s). The two settings alternate
# which goes first from round to round; rates and CPU are medians over the rounds, the costs the
# median of each round's pair.
# PIN=1 (default) runs the brokers on the last CPU and thrust-bench on the others (bench/lib.sh).
# INSTRUCTIONS=1 (default) then also counts, under valgrind's callgrind, the instructions Thrust's
# broker executes per send (CG_MESSAGES, 20000, after 3000 unmeasured) with metrics off and on:
# the cost as a figure that the machine's other load does not move.
# BENCH_NO_BUILD=1 skips the cargo build and uses target/release as it is.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$BENCH_ROOT"

quick=${QUICK:-0}
size=${SIZE:-1024}
conns=${CONNECTIONS:-16}
inflight=${INFLIGHT:-16}
scrape_every=${SCRAPE_SECONDS:-5}
if ((quick)); then
    rounds=${ROUNDS:-1} secs=${RUN_SECONDS:-4} warm=${WARMUP_SECONDS:-1} jit=${JIT_SECONDS:-3}
else
    rounds=${ROUNDS:-3} secs=${RUN_SECONDS:-15} warm=${WARMUP_SECONDS:-2} jit=${JIT_SECONDS:-10}
fi
kinds=(${KINDS:-ours java})

bench_workdir
bench_build_bins "$work/bin" mqbroker thrust-bench
bench_java_classpaths broker-5.3.3
bench_pinning

declare -A res

# scraper URL OUT: in the background, GETs URL every $scrape_every s until killed, counting the
# answers that look like a scrape in OUT. Prints its pid.
scraper() {
    local url=$1 out=$2
    (
        n=0
        while true; do
            if "${BENCH_LOAD_TASKSET[@]}" curl -sf --max-time 5 -o "$out.body" "$url" &&
                grep -q '^rocketmq_' "$out.body"; then
                n=$((n + 1))
                echo "$n" > "$out"
            fi
            sleep "$scrape_every"
        done
    ) > /dev/null 2>&1 &
    echo $!
}

# wait_metrics URL: up to 30 s for URL to answer a scrape.
wait_metrics() {
    local i
    for i in $(seq 1 60); do
        curl -sf --max-time 5 -o "$work/scrape" "$1" && grep -q '^rocketmq_' "$work/scrape" && return 0
        sleep 0.5
    done
    return 1
}

# run KIND ROUND SETTING: one broker of KIND with metrics SETTING (on|off), warmed up, measured.
run() {
    local kind=$1 r=$2 setting=$3 k="$1.$3.$2" dir="$work/$1.$3.$2" out prom scr=""
    local extra=()
    if [[ $setting == on ]]; then
        prom=$(bench_free_port)
        extra=(metricsExporterType=PROM metricsPromExporterHost=127.0.0.1 "metricsPromExporterPort=$prom")
    fi
    bench_start_broker "$kind" "$dir" "metrics-$kind-$setting-$r" "${extra[@]}"
    if [[ $setting == on ]]; then
        wait_metrics "http://127.0.0.1:$prom/metrics" || {
            echo "the $kind broker serves no metrics on 127.0.0.1:$prom" >&2
            exit 1
        }
    fi
    bench_log "$kind, metrics $setting (round $r): warm-up"
    bench_tool produce --addr "127.0.0.1:$broker_port" --size "$size" --topic Warmup --connections "$conns" \
        --inflight "$inflight" --seconds "$jit" --warmup-seconds 0 > "$work/$k.warmup" 2>&1 || true
    if [[ $setting == on ]]; then
        scr=$(scraper "http://127.0.0.1:$prom/metrics" "$work/$k.scrapes")
        pids+=("$scr")
    fi
    bench_log "$kind, metrics $setting (round $r): ${conns}x${inflight} single sends, ${secs} s"
    out="$work/$k.send"
    if ! bench_tool produce --addr "127.0.0.1:$broker_port" --size "$size" --topic Send --pid "$broker" \
        --connections "$conns" --inflight "$inflight" --seconds "$secs" --warmup-seconds "$warm" \
        > "$out" 2> "$out.err"; then
        echo "FAILED: thrust-bench produce against the $kind broker (metrics $setting):" >&2
        cat "$out" "$out.err" >&2
        : > "$out"
    fi
    [[ -z "$scr" ]] || bench_stop "$scr"
    res[rate.$k]=$(bench_kv "$out" msg_per_s)
    res[cpu.$k]=$(bench_kv "$out" broker_cpu_us_per_msg)
    res[p99.$k]=$(bench_kv "$out" latency_p99_us)
    res[wait.$k]=$(bench_kv "$out" broker_cpu_wait)
    res[scrapes.$k]=$(cat "$work/$k.scrapes" 2>/dev/null || echo 0)
    echo "---- $kind, metrics $setting (round $r): ${res[rate.$k]} msg/s, ${res[cpu.$k]} us CPU/msg," \
        "p99 ${res[p99.$k]} us, CPU wait ${res[wait.$k]}$([[ $setting == on ]] && echo ", ${res[scrapes.$k]} scrapes")"
    bench_stop "$broker"
    rm -rf "$dir/store"
}

# instructions SETTING: Thrust's broker under callgrind (instrumented only once warmed up),
# CG_MESSAGES pipelined sends: the instructions it executed per send with metrics SETTING. Unlike
# time, an instruction count does not move with what else the machine runs.
instructions() {
    local setting=$1 dir="$work/cg.$1" n=$cg_messages i extra=()
    if [[ $setting == on ]]; then
        extra=(metricsExporterType=PROM metricsPromExporterHost=127.0.0.1 "metricsPromExporterPort=$(bench_free_port)")
    fi
    bench_start_broker callgrind "$dir" "cg-$setting" "${extra[@]}"
    local vg=$broker
    bench_tool produce --addr "127.0.0.1:$broker_port" --size "$size" --topic Send --connections "$conns" \
        --inflight "$inflight" --messages 3000 --warmup-seconds 0 > "$dir/warmup" 2>&1
    callgrind_control -i on "$vg" > /dev/null
    bench_tool produce --addr "127.0.0.1:$broker_port" --size "$size" --topic Send --connections "$conns" \
        --inflight "$inflight" --messages "$n" --warmup-seconds 0 --no-create > "$dir/send" 2>&1
    callgrind_control -d "$vg" > /dev/null
    # The dump is written by the broker's process after the command returns.
    for _ in $(seq 1 300); do
        i=$(cat "$dir"/callgrind.out.* 2>/dev/null | awk '/^totals:/ { print $2; exit }' || true)
        [[ -z "$i" ]] || break
        sleep 0.1
    done
    bench_stop "$vg"
    res[ir.$setting]=$(awk -v i="${i:-}" -v n="$n" 'BEGIN { if (i == "") print "n/a"; else printf "%.0f\n", i / n }')
    echo "---- ours under callgrind, metrics $setting: ${res[ir.$setting]} instructions per send"
}

for round in $(seq 1 "$rounds"); do
    settings=(off on)
    ((round % 2 == 1)) || settings=(on off)
    for kind in "${kinds[@]}"; do
        for setting in "${settings[@]}"; do
            run "$kind" "$round" "$setting"
        done
    done
done

cg_messages=${CG_MESSAGES:-20000}
if [[ ${INSTRUCTIONS:-1} == 1 ]] && [[ " ${kinds[*]} " == *" ours "* ]]; then
    if command -v callgrind_control > /dev/null; then
        instructions off
        instructions on
    else
        echo "valgrind is not installed: no instruction counts" >&2
    fi
fi

# med METRIC KIND SETTING: the median over the rounds.
med() {
    local r
    for r in $(seq 1 "$rounds"); do echo "${res[$1.$2.$3.$r]:-n/a}"; done | bench_median
}
# cost OFF ON: how much lower ON is than OFF, in percent (negative: ON was faster).
cost() {
    awk -v a="$1" -v b="$2" 'BEGIN { if (a == "n/a" || b == "n/a" || a + 0 == 0) print "n/a";
        else printf "%.1f%%\n", 100 * (a - b) / a }'
}
# rise OFF ON: how much higher ON is than OFF, in percent.
rise() {
    awk -v a="$1" -v b="$2" 'BEGIN { if (a == "n/a" || b == "n/a" || a + 0 == 0) print "n/a";
        else printf "%.1f%%\n", 100 * (b - a) / a }'
}

echo
echo "==== Send throughput, broker metrics off vs on (PROM, scraped every ${scrape_every} s): ${size} B," \
    "${conns}x${inflight} in flight, ${secs} s per load after ${warm} s, $rounds round(s)$( ((quick)) && echo ", QUICK")"
echo "machine: $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg); $BENCH_PIN_NOTE"
echo "java broker: $(java -version 2>&1 | head -n1); -Xms1g -Xmx1g ${BENCH_JVM_OPTS[*]}"
# paired METRIC KIND FN: the median over the rounds of FN(off, on) within each round (the two
# ran back to back, so the machine's drift from round to round cancels out).
paired() {
    local r
    for r in $(seq 1 "$rounds"); do
        "$3" "${res[$1.$2.off.$r]:-n/a}" "${res[$1.$2.on.$r]:-n/a}"
    done | sed 's/%$//' | bench_median | awk '{ print ($1 == "n/a" ? $1 : $1 "%") }'
}
fmt='%-12s %12s %12s %8s %14s %14s %9s %9s %8s\n'
printf "$fmt" broker "off msg/s" "on msg/s" cost "off CPU us/msg" "on CPU us/msg" "CPU cost" "CPU wait" "met?"
for kind in "${kinds[@]}"; do
    off=$(med rate "$kind" off) on=$(med rate "$kind" on) c=$(paired rate "$kind" cost)
    met=""
    if [[ $kind == ours ]]; then
        met=$(awk -v c="${c%\%}" 'BEGIN { if (c == "n/a") print "n/a"; else print (c + 0 <= 2 ? "met" : "missed") }')
    fi
    name=$([[ $kind == ours ]] && echo Thrust || echo "Java 5.3.3")
    coff=$(med cpu "$kind" off) con=$(med cpu "$kind" on)
    wait=$(for st in off on; do for r in $(seq 1 "$rounds"); do echo "${res[wait.$kind.$st.$r]:-n/a}"; done; done | bench_median)
    printf "$fmt" "$name" "$off" "$on" "$c" "$coff" "$con" "$(paired cpu "$kind" rise)" "$wait" "$met"
done
if [[ -n "${res[ir.off]:-}" ]]; then
    echo "Thrust under callgrind, ${cg_messages} sends: ${res[ir.off]} -> ${res[ir.on]} instructions per send," \
        "metrics on costs $(rise "${res[ir.off]}" "${res[ir.on]}") (steady whatever else the machine runs)"
fi
echo "msg/s and CPU: medians over the rounds; cost: how much lower the send rate is with metrics on, the"
echo "median over the rounds of each round's pair (target for Thrust: <= 2 %); CPU cost: likewise, how much"
echo "more broker CPU a message takes with metrics on;"
echo "CPU wait: the median fraction of a window the broker's threads waited runnable for a CPU (others' load)"
