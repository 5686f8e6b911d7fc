# The broker load tools of bench/broker-compare.sh (sourced): choosing them, running them for a
# bounded time, and reading their report lines (tools-and-clients.md §4.1/§4.2):
#   ... | Send TPS: N | Max RT(ms): N | Average RT(ms): x | Send Failed: N | Response Failed: N
#   ... | Consume TPS: N | AVG(B2C) RT(ms): x | AVG(S2C) RT(ms): x | MAX(B2C) RT(ms): N | ...
# Needs lib.sh and $work.

# select_tools: sets TOOLS_CP, PRODUCER_MAIN, CONSUMER_MAIN, TOOLS_OFFICIAL (1/0) and TOOLS_NOTE.
select_tools() {
    local example="$BENCH_CACHE/java/example-5.3.3" unavailable="$BENCH_CACHE/java/example-5.3.3.unavailable"
    if [[ -z "${ROCKETMQ_EXAMPLE_CP:-}" && ! -f "$example/.complete" ]] &&
        [[ ! -f "$unavailable" || "${FETCH_EXAMPLE:-0}" == 1 ]]; then
        bench_log "resolving org.apache.rocketmq:rocketmq-example:5.3.3 (Maven)"
        rm -rf "$example"
        # -U: Maven caches a "not found"; a deliberate retry must ask Central again.
        if timeout -k 10 300 mvn -B -q -U -Dstyle.color=never -f compat-tests/java/fetch-pom.xml \
            -Dmaven.repo.local="$BENCH_CACHE/m2" -Drmq.artifact=rocketmq-example -Drmq.version=5.3.3 \
            -Drmq.out="$example" dependency:copy-dependencies > "$work/example-fetch.log" 2>&1; then
            touch "$example/.complete"
            rm -f "$unavailable"
        else
            { grep -m1 'ERROR' "$work/example-fetch.log" || echo "fetch failed"; } |
                sed 's/\x1b\[[0-9;]*m//g' > "$unavailable"
            bench_log "rocketmq-example 5.3.3 is not on Maven Central: $(cut -c1-160 "$unavailable")"
        fi
    fi
    local official_cp=""
    if [[ -n "${ROCKETMQ_EXAMPLE_CP:-}" ]]; then
        official_cp="$ROCKETMQ_EXAMPLE_CP"
    elif [[ -f "$example/.complete" ]]; then
        official_cp="$example"
    fi
    if [[ -n "$official_cp" ]]; then
        TOOLS_OFFICIAL=1
        TOOLS_CP="$official_cp/*"
        PRODUCER_MAIN=org.apache.rocketmq.example.benchmark.Producer
        CONSUMER_MAIN=org.apache.rocketmq.example.benchmark.Consumer
        TOOLS_NOTE="RocketMQ's benchmark Producer/Consumer (rocketmq-example, $official_cp)"
        return
    fi
    TOOLS_OFFICIAL=0
    compile_bench_tools
    TOOLS_CP="$BENCH_CACHE/java/classes/bench-5.3.3:$BENCH_CACHE/java/client-5.3.3/*"
    PRODUCER_MAIN=thrust.bench.Producer
    CONSUMER_MAIN=thrust.bench.Consumer
    TOOLS_NOTE="bench/java thrust.bench.Producer/Consumer on rocketmq-client 5.3.3 (rocketmq-example is not on Maven Central)"
}

# compile_bench_tools: bench/java → .cache/java/classes/bench-5.3.3, when its sources changed.
compile_bench_tools() {
    local out="$BENCH_CACHE/java/classes/bench-5.3.3" stamp
    stamp=$(find bench/java -type f -name '*.java' | LC_ALL=C sort | xargs sha256sum | sha256sum | cut -c1-64)
    if [[ -f "$out/.stamp" && "$(cat "$out/.stamp")" == "$stamp" ]]; then return; fi
    bench_log "compiling bench/java against rocketmq-client 5.3.3"
    rm -rf "$out" && mkdir -p "$out"
    # shellcheck disable=SC2046
    javac -nowarn -encoding UTF-8 -d "$out" -cp "$BENCH_CACHE/java/client-5.3.3/*" \
        $(find bench/java -name '*.java')
    echo "$stamp" > "$out/.stamp"
}

# run_tool SECONDS producer|consumer OUT ARGS...: runs one tool for at most SECONDS (SIGTERM, then
# SIGKILL 10 s later) on the load CPUs; stdout to OUT, stderr to OUT.err.
run_tool() {
    local secs=$1 which=$2 out=$3 main
    shift 3
    local args=("$@")
    if [[ $which == producer ]]; then
        main=$PRODUCER_MAIN
    else
        main=$CONSUMER_MAIN
        # Ours can stop once the backlog is drained (3 s with nothing new); the official one cannot.
        ((TOOLS_OFFICIAL)) || args+=(-x 3000)
    fi
    mkdir -p "$work/clients"
    "${BENCH_LOAD_TASKSET[@]}" timeout -s TERM -k 10 "$secs" java -Xms512m -Xmx512m -XX:-UsePerfData \
        -Djava.net.preferIPv4Stack=true "-Duser.home=$work/clients" -cp "$TOOLS_CP" "$main" \
        "${args[@]}" > "$out" 2> "$out.err" || true
}

# parse_send OUT: prints "tps avg_rt max_rt sent failed". From the [Summary] line when there is one;
# otherwise (the official tool, stopped by a signal) from the report lines after the first (warm-up):
# mean TPS, TPS-weighted average RT, largest max RT; "sent" is then the reports' TPS × interval.
parse_send() {
    awk -F' [|] ' -v ri="${report_ms:-10000}" '
        function field(name,   i, kv) {
            for (i = 1; i <= NF; i++) { split($i, kv, ": "); if (kv[1] ~ name) return kv[2] + 0 }
            return 0
        }
        /^\[Summary\]/ { s = 1; stps = field("Send TPS"); savg = field("Average RT"); smax = field("Max RT")
                         ssent = field("Send Total"); sfail = field("Send Failed") + field("Response Failed") }
        /Current Time: .*Send TPS:/ {
            fail = field("Send Failed") + field("Response Failed")
            if (++n == 1) next
            tps = field("Send TPS"); sum += tps; w += tps * field("Average RT")
            m = field("Max RT"); if (m > max) max = m
        }
        END {
            if (s) { printf "%.0f %.3f %.0f %d %d\n", stps, savg, smax, ssent, sfail; exit }
            k = n - 1
            if (k < 1) { print "0 0 0 0 " fail + 0; exit }
            printf "%.0f %.3f %.0f %d %d\n", sum / k, (sum ? w / sum : 0), max, sum * ri / 1000, fail
        }' "$1"
}

# parse_consume OUT: prints "tps consumed". From [Summary] when present; otherwise the mean of the
# non-zero report lines after the first, and their TPS × interval as the count.
parse_consume() {
    awk -F' [|] ' -v ri="${report_ms:-10000}" '
        function field(name,   i, kv) {
            for (i = 1; i <= NF; i++) { split($i, kv, ": "); if (kv[1] ~ name) return kv[2] + 0 }
            return 0
        }
        /^\[Summary\]/ { s = 1; stps = field("Consume TPS"); stotal = field("Consume Total") }
        /Current Time: .*Consume TPS:/ {
            tps = field("Consume TPS"); total += tps * ri / 1000
            if (++n == 1 || tps == 0) next
            sum += tps; k++
        }
        END {
            if (s) { printf "%.0f %d\n", stps, stotal; exit }
            printf "%.0f %d\n", (k ? sum / k : 0), total
        }' "$1"
}
