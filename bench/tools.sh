# The broker load tools of bench/broker-compare.sh (sourced): RocketMQ's official benchmark
# Producer and Consumer (org.apache.rocketmq.example.benchmark, artifact rocketmq-example 5.5.0 —
# the only 5.x version on Maven Central; 5.3.3 and 4.9.8 are not published there), fetching
# them, running them for a bounded time, and reading their report lines (tools-and-clients.md
# §4.1/§4.2). Each report covers a sliding window of the last ~9 s (10 one-second snapshots):
#   Current Time: T | Send TPS: N | Max RT(ms): N | Average RT(ms): x | Send Failed: N | Response Failed: N
#   Current Time: T | Consume TPS: N | AVG(B2C) RT(ms): x | AVG(S2C) RT(ms): x | MAX(B2C) RT(ms): N | ...
# Max RT, Send Failed and Response Failed are totals since start; TPS and Average RT are per window.
# Exact message counts come from the broker instead (mqadmin consumerProgress, rocketmq-tools 5.3.3).
# Needs lib.sh and $work.

EXAMPLE_VERSION=5.5.0

# select_tools: makes sure .cache/java/example-$EXAMPLE_VERSION holds rocketmq-example and its
# runtime classpath (Maven, compat-tests/java/fetch-pom.xml, which copies the artifact itself and
# its dependencies); sets TOOLS_CP and TOOLS_NOTE. Exits when Maven cannot resolve it.
select_tools() {
    local example="$BENCH_CACHE/java/example-$EXAMPLE_VERSION"
    if [[ ! -f "$example/.complete" ]]; then
        bench_log "resolving org.apache.rocketmq:rocketmq-example:$EXAMPLE_VERSION (Maven)"
        rm -rf "$example"
        if ! timeout -k 10 600 mvn -B -q -Dstyle.color=never -f compat-tests/java/fetch-pom.xml \
            -Dmaven.repo.local="$BENCH_CACHE/m2" -Drmq.artifact=rocketmq-example \
            -Drmq.version="$EXAMPLE_VERSION" -Drmq.out="$example" dependency:copy-dependencies \
            > "$work/example-fetch.log" 2>&1; then
            echo "could not resolve rocketmq-example $EXAMPLE_VERSION from Maven Central:" >&2
            sed 's/\x1b\[[0-9;]*m//g' "$work/example-fetch.log" | grep -m5 ERROR >&2 || true
            exit 1
        fi
        touch "$example/.complete"
    fi
    TOOLS_CP="$example/*"
    TOOLS_NOTE="org.apache.rocketmq.example.benchmark.Producer/Consumer from rocketmq-example $EXAMPLE_VERSION (client $EXAMPLE_VERSION, remoting protocol)"
}

# Extra JVM options for the next run_tool calls (e.g. -Dtls.enable=true, which turns TLS on in the
# tools' client); empty unless a script sets it.
TOOL_JVM_OPTS=()

# run_tool SECONDS producer|consumer OUT ARGS...: runs one official tool for SECONDS (it never
# stops by itself: SIGTERM, then SIGKILL 10 s later) on the load CPUs, with TOOL_JVM_OPTS; stdout
# to OUT, stderr to OUT.err.
run_tool() {
    local secs=$1 which=$2 out=$3 main
    shift 3
    main=org.apache.rocketmq.example.benchmark.Producer
    [[ $which == producer ]] || main=org.apache.rocketmq.example.benchmark.Consumer
    mkdir -p "$work/clients"
    "${BENCH_LOAD_TASKSET[@]}" timeout -s TERM -k 10 "$secs" java -Xms512m -Xmx512m -XX:-UsePerfData \
        -Djava.net.preferIPv4Stack=true "-Duser.home=$work/clients" \
        "${TOOL_JVM_OPTS[@]}" -cp "$TOOLS_CP" "$main" \
        "$@" > "$out" 2> "$out.err" || true
}

# parse_send OUT: prints "tps avg_rt max_rt failed reports". Over the report lines after the first
# (its window holds the warm-up: JIT, route discovery, topic auto-creation): mean Send TPS and
# TPS-weighted mean Average RT; the last line's Max RT and failures (totals since start).
parse_send() {
    awk -F' [|] ' '
        function field(name,   i, kv) {
            for (i = 1; i <= NF; i++) { split($i, kv, ": "); if (kv[1] ~ name) return kv[2] + 0 }
            return 0
        }
        /^Current Time: .*Send TPS:/ {
            fail = field("Send Failed") + field("Response Failed"); max = field("Max RT")
            if (++n == 1) next
            tps = field("Send TPS"); sum += tps; w += tps * field("Average RT")
        }
        END {
            k = n - 1
            if (k < 1) { printf "0 0 %d %d %d\n", max, fail, n; exit }
            printf "%.0f %.3f %d %d %d\n", sum / k, (sum ? w / sum : 0), max, fail, n
        }' "$1"
}

# parse_consume OUT: prints "tps busy_seconds". The Consumer runs with -ri 1000: one report a second,
# each the count of the last 9 one-second snapshot intervals (TPS × 9). A backlog that drains in
# under ~9 s fits in one window, so no single report gives the drain rate; the per-second counts do.
# With w(i) = C(b(i+9)) − C(b(i)) for report i (b = snapshot times, C = messages consumed), and
# nothing consumed in the last report's window (the tool idles after the drain), the remaining
# backlog R(b) = total − C(b) is 0 on b(n..n+9) and R(b(i)) = R(b(i+9)) + w(i) going back; the
# per-second counts are R(b(j)) − R(b(j+1)). The rate is their mean over the busy seconds without
# the first and the last (partial) one. Prints "0 0" when the last window was not idle.
parse_consume() {
    awk -F' [|] ' '
        function field(name,   i, kv) {
            for (i = 1; i <= NF; i++) { split($i, kv, ": "); if (kv[1] ~ name) return kv[2] + 0 }
            return 0
        }
        /^Current Time: .*Consume TPS:/ { w[++n] = field("Consume TPS") * 9 }
        END {
            if (n < 10 || w[n] != 0) { print "0 0"; exit }
            for (j = n; j <= n + 9; j++) r[j] = 0
            for (i = n - 1; i >= 1; i--) r[i] = r[i + 9] + w[i]
            for (j = 1; j < n + 9; j++) { c[j] = r[j] - r[j + 1]; if (c[j] > top) top = c[j] }
            for (j = 1; j < n + 9; j++) if (c[j] > top / 100) { if (!f) f = j; l = j }
            if (!f) { print "0 0"; exit }
            if (l - f >= 2) { for (j = f + 1; j < l; j++) sum += c[j]; k = l - f - 1 }
            else { for (j = f; j <= l; j++) sum += c[j]; k = l - f + 1 }
            printf "%.0f %d\n", sum / k, l - f + 1
        }' "$1"
}

# broker_counts NAMESRV GROUP OUT: prints "stored consumed" for GROUP's topic — the sums of the
# Broker Offset and Consumer Offset columns of `mqadmin consumerProgress -g GROUP` (rocketmq-tools
# 5.3.3), i.e. the messages the broker stored and those the group committed; "n/a n/a" on failure.
broker_counts() {
    local ns=$1 group=$2 out=$3
    timeout -k 5 60 java -Xmx256m -XX:-UsePerfData "-Duser.home=$work/clients" \
        -Drocketmq.namesrv.addr="$ns" -cp "$BENCH_CACHE/java/tools-5.3.3/*" \
        org.apache.rocketmq.tools.command.MQAdminStartup consumerProgress -n "$ns" -g "$group" \
        > "$out" 2>&1 || true
    # Rows without -s: Topic, Broker Name, QID, Broker Offset, Consumer Offset, Diff, Inflight, LastTime.
    awk '
        /^#Topic/ { h = 1; next }
        h && $1 !~ /^%RETRY%/ && $3 ~ /^[0-9]+$/ && $4 ~ /^[0-9]+$/ && $5 ~ /^[0-9]+$/ {
            stored += $4; consumed += $5; rows++
        }
        END { if (rows) print stored, consumed; else print "n/a n/a" }' "$out"
}
