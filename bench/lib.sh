# Helpers shared by the side-by-side benchmark scripts (sourced, not run).
# Everything here works on 127.0.0.1 and on processes the calling script started itself.

# Repository root and the caches compat-tests/setup.sh fills.
BENCH_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BENCH_CACHE="$BENCH_ROOT/.cache"

bench_log() { echo "[$(date -u +%H:%M:%S)] $*" >&2; }

# The JVM options of RocketMQ's own bin/runserver.sh and bin/runbroker.sh for Java >= 9 (G1 and its
# tuning), less the heap sizes, which each script passes, and less -XX:+AlwaysPreTouch (runbroker.sh
# pre-touches the whole heap; left out so the broker's RSS counts only what it really uses).
BENCH_JVM_OPTS=(
    -server
    -XX:+UseG1GC -XX:G1HeapRegionSize=16m -XX:G1ReservePercent=25
    -XX:InitiatingHeapOccupancyPercent=30 -XX:SoftRefLRUPolicyMSPerMB=0
    -XX:-OmitStackTraceInFastThrow -XX:-UsePerfData
    -Djava.net.preferIPv4Stack=true
)

# Makes sure the Maven classpaths of the Java servers are in .cache/java (compat-tests/setup.sh is
# idempotent; it runs only when one of them is missing).
bench_java_classpaths() {
    local missing=0 name
    for name in "$@"; do
        [[ -f "$BENCH_CACHE/java/$name/.complete" ]] || missing=1
    done
    if ((missing)); then
        bench_log "fetching the Java 5.3.3 artifacts (compat-tests/setup.sh)"
        "$BENCH_ROOT/compat-tests/setup.sh"
    fi
}

# A free TCP port on 127.0.0.1 (bound and released; fine for a script that uses it at once).
bench_free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# A free port P such that P-2 (the VIP channel of a broker) and P+1 (its HA port) are free too:
# no socket in any state has them as its local port (a connection's ephemeral port blocks a
# listener's bind as much as another listener does).
bench_free_broker_port() {
    local p i
    for i in $(seq 1 50); do
        p=$(bench_free_port)
        ((p > 1026 && p < 65000)) || continue
        if ! ss -Htan "( sport = :$((p - 2)) or sport = :$((p + 1)) )" | grep -q .; then
            echo "$p"
            return
        fi
    done
    echo "no free broker port found" >&2
    return 1
}

# bench_wait_line FILE REGEX SECONDS PID: waits until FILE has a line matching REGEX; fails when
# PID exits first or the time runs out.
bench_wait_line() {
    local file=$1 regex=$2 seconds=$3 pid=$4 i
    for i in $(seq 1 $((seconds * 10))); do
        grep -Eq "$regex" "$file" 2>/dev/null && return 0
        kill -0 "$pid" 2>/dev/null || return 1
        sleep 0.1
    done
    return 1
}

# A /proc/<pid>/status field in KiB (VmHWM = peak RSS, VmRSS, RssAnon, RssFile), empty when gone.
bench_status_kib() {
    awk -v f="$2:" '$1 == f { print $2 }' "/proc/$1/status" 2>/dev/null || true
}

# bench_sample_anon PID OUT: in the background, keeps in OUT the peak RssAnon (KiB) of PID, sampled
# every 0.2 s (VmHWM also counts the pages of mapped store files; RssAnon is the process's own
# memory). Prints the sampler's pid (its output goes nowhere, so $(...) returns at once).
bench_sample_anon() {
    local pid=$1 out=$2
    (
        peak=0
        while kill -0 "$pid" 2>/dev/null; do
            v=$(bench_status_kib "$pid" RssAnon)
            if [[ -n "$v" ]] && ((v > peak)); then
                peak=$v
                echo "$peak" > "$out"
            fi
            sleep 0.2
        done
    ) > /dev/null 2>&1 &
    echo $!
}

# bench_stop PID: SIGTERM, up to 15 s for a clean exit, then SIGKILL.
bench_stop() {
    local pid=$1 i
    [[ -n "$pid" ]] || return 0
    kill -TERM "$pid" 2>/dev/null || return 0
    for i in $(seq 1 150); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
}

# bench_ratio A B: A/B with two decimals, or "n/a" when either is missing or B is zero.
bench_ratio() {
    awk -v a="$1" -v b="$2" 'BEGIN {
        if (a == "" || b == "" || a == "n/a" || b == "n/a" || b + 0 == 0) print "n/a";
        else printf "%.2f\n", a / b }'
}

# bench_median: the median of the numbers on stdin, "n/a" lines left out ("n/a" when none).
bench_median() {
    { grep -v n/a || true; } | sort -g | awk '{ v[NR] = $1 }
        END { if (!NR) print "n/a"; else if (NR % 2) print v[(NR + 1) / 2];
              else printf "%.2f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# bench_mib KIB: KiB as MiB with one decimal ("n/a" when empty).
bench_mib() {
    awk -v k="$1" 'BEGIN { if (k == "") print "n/a"; else printf "%.1f\n", k / 1024 }'
}

# CPU pinning: with PIN=1 (the default) and at least 2 CPUs, servers run on the last CPU and the
# load generators on the others, for both implementations alike. Sets BENCH_SERVER_TASKSET and
# BENCH_LOAD_TASKSET (command prefixes, empty when not pinning) and BENCH_PIN_NOTE.
bench_pinning() {
    local cpus
    cpus=$(nproc)
    BENCH_SERVER_TASKSET=()
    BENCH_LOAD_TASKSET=()
    if [[ "${PIN:-1}" != "0" ]] && ((cpus >= 2)); then
        BENCH_SERVER_TASKSET=(taskset -c "$((cpus - 1))")
        BENCH_LOAD_TASKSET=(taskset -c "0-$((cpus - 2))")
        BENCH_PIN_NOTE="server pinned to CPU $((cpus - 1)), load generator to CPU 0-$((cpus - 2)) (taskset; PIN=0 to turn off)"
    else
        BENCH_PIN_NOTE="no CPU pinning: server and load generator share all $cpus CPUs"
    fi
}

# bench_wait_route NS TOPIC BROKER_NAME SECONDS: waits until the NameServer at NS (host:port)
# routes TOPIC to broker BROKER_NAME (one GET_ROUTEINFO_BY_TOPIC, code 105, every 0.5 s), so a
# load tool never starts before the broker's registration has landed.
bench_wait_route() {
    python3 - "$@" <<'PY'
import json, socket, struct, sys, time
ns, topic, broker, seconds = sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4])
host, port = ns.rsplit(":", 1)

def route():
    # Remoting frame: total length, header length (high byte 0 = JSON header), header, no body.
    header = json.dumps({"code": 105, "flag": 0, "language": "JAVA", "opaque": 1, "version": 0,
                         "serializeTypeCurrentRPC": "JSON", "extFields": {"topic": topic}}).encode()
    with socket.create_connection((host, int(port)), timeout=3) as s:
        s.sendall(struct.pack(">II", 4 + len(header), len(header)) + header)
        buf = b""
        while len(buf) < 4 or len(buf) < 4 + struct.unpack(">I", buf[:4])[0]:
            chunk = s.recv(65536)
            if not chunk:
                return None
            buf += chunk
    hlen = struct.unpack(">I", buf[4:8])[0] & 0xFFFFFF
    code = json.loads(buf[8:8 + hlen]).get("code")
    return buf[8 + hlen:].decode("utf-8", "replace") if code == 0 else None

deadline = time.time() + seconds
while time.time() < deadline:
    try:
        body = route()
        if body and '"%s"' % broker in body:
            sys.exit(0)
    except OSError:
        pass
    time.sleep(0.5)
sys.exit("no route of %s to broker %s at %s after %ss" % (topic, broker, ns, seconds))
PY
}

# bench_build_bins DIR BIN...: builds the release binaries (unless BENCH_NO_BUILD=1) and copies them
# into DIR, so that a build started by someone else in the same tree during the run cannot swap a
# binary between the two measurements.
bench_build_bins() {
    local dir=$1 bin args=()
    shift
    for bin in "$@"; do args+=(--bin "$bin"); done
    if [[ "${BENCH_NO_BUILD:-0}" != 1 ]]; then
        bench_log "building $* (release)"
        if ! cargo build --release -q -p bench -p thrust "${args[@]}"; then
            echo "the build failed; BENCH_NO_BUILD=1 runs the binaries already in target/release" >&2
            return 1
        fi
    fi
    mkdir -p "$dir"
    for bin in "$@"; do
        [[ -x "target/release/$bin" ]] || { echo "target/release/$bin is not built" >&2; return 1; }
        cp "target/release/$bin" "$dir/$bin"
    done
}

# bench_workdir: a temporary $work and a $pids array; on exit every process in $pids is stopped,
# the newest first, and $work removed.
bench_workdir() {
    work=$(mktemp -d)
    pids=()
    trap bench_cleanup EXIT
    trap 'exit 130' INT TERM
}

bench_cleanup() {
    local i
    for ((i = ${#pids[@]} - 1; i >= 0; i--)); do bench_stop "${pids[i]}"; done
    rm -rf "$work"
}

# bench_ours_namesrv: starts $work/bin/mqnamesrv on a free port in $work/namesrv (pinned like the
# servers, added to $pids) and waits for its boot line; sets $ns.
bench_ours_namesrv() {
    local port
    port=$(bench_free_port)
    mkdir -p "$work/namesrv"
    printf 'listenPort=%s\nbindAddress=127.0.0.1\nkvConfigPath=%s/namesrv/kv.json\n' "$port" "$work" \
        > "$work/namesrv/namesrv.conf"
    ROCKETMQ_HOME="$work/namesrv" HOME="$work/namesrv" "${BENCH_SERVER_TASKSET[@]}" \
        "$work/bin/mqnamesrv" -c "$work/namesrv/namesrv.conf" > "$work/namesrv/stdout" 2>&1 &
    pids+=($!)
    bench_wait_line "$work/namesrv/stdout" '^The Name Server boot success' 30 "${pids[-1]}" || {
        cat "$work/namesrv/stdout" >&2
        exit 1
    }
    ns="127.0.0.1:$port"
    bench_log "NameServer (ours) at $ns"
}

# bench_tool ARGS...: $work/bin/thrust-bench on the load generator's CPUs.
bench_tool() { "${BENCH_LOAD_TASKSET[@]}" "$work/bin/thrust-bench" "$@"; }

# bench_kv FILE KEY: the last KEY=value of a thrust-bench output, "n/a" when absent.
bench_kv() { awk -F= -v k="$2" '$1 == k { v = $2 } END { print (v == "" ? "n/a" : v) }' "$1" 2>/dev/null || echo n/a; }

# bench_start_broker KIND DIR NAME [KEY=VALUE...]: starts one broker of KIND (ours:
# $work/bin/mqbroker, or $bench_mqbroker when set; callgrind: the same under valgrind's
# callgrind, not instrumented until `callgrind_control -i on`, its profile dumped to
# DIR/callgrind.out.N; java: BrokerStartup 5.3.3,
# -Xms1g -Xmx1g and BENCH_JVM_OPTS as bin/runbroker.sh) named NAME with a fresh store in DIR, on a
# free port of 127.0.0.1, pinned like the servers (callgrind: not pinned), added to $pids; waits
# for its boot line. broker.conf has the keys both brokers
# take alike (ASYNC_MASTER, ASYNC_FLUSH, auto-created topics and groups, the NameServer $ns when
# set); each KEY=VALUE replaces the key of that name. Sets $broker (pid) and $broker_port.
bench_start_broker() {
    local kind=$1 dir=$2 name=$3 kv key
    shift 3
    mkdir -p "$dir"
    broker_port=$(bench_free_broker_port)
    {
        echo "brokerClusterName=BenchCluster"
        echo "brokerName=$name"
        echo "brokerId=0"
        echo "brokerRole=ASYNC_MASTER"
        echo "flushDiskType=ASYNC_FLUSH"
        echo "listenPort=$broker_port"
        echo "haListenPort=$((broker_port + 1))"
        echo "bindAddress=127.0.0.1"
        echo "brokerIP1=127.0.0.1"
        echo "brokerIP2=127.0.0.1"
        [[ -z "${ns:-}" ]] || echo "namesrvAddr=$ns"
        echo "storePathRootDir=$dir/store"
        echo "storePathCommitLog=$dir/store/commitlog"
        echo "autoCreateTopicEnable=true"
        echo "autoCreateSubscriptionGroup=true"
    } > "$dir/broker.conf"
    for kv in "$@"; do
        key=${kv%%=*}
        sed -i "/^$key=/d" "$dir/broker.conf"
        echo "$kv" >> "$dir/broker.conf"
    done
    if [[ $kind == java ]]; then
        ROCKETMQ_HOME="$dir" "${BENCH_SERVER_TASKSET[@]}" java -Xms1g -Xmx1g "${BENCH_JVM_OPTS[@]}" \
            "-Duser.home=$dir" -cp "$BENCH_CACHE/java/broker-5.3.3/*" \
            org.apache.rocketmq.broker.BrokerStartup -c "$dir/broker.conf" > "$dir/stdout" 2>&1 &
    elif [[ $kind == callgrind ]]; then
        ROCKETMQ_HOME="$dir" HOME="$dir" valgrind --tool=callgrind --instr-atstart=no \
            --callgrind-out-file="$dir/callgrind.out" "${bench_mqbroker:-$work/bin/mqbroker}" \
            -c "$dir/broker.conf" \
            > "$dir/stdout" 2>&1 &
    else
        ROCKETMQ_HOME="$dir" HOME="$dir" "${BENCH_SERVER_TASKSET[@]}" \
            "${bench_mqbroker:-$work/bin/mqbroker}" -c "$dir/broker.conf" > "$dir/stdout" 2>&1 &
    fi
    broker=$!
    pids+=("$broker")
    if ! bench_wait_line "$dir/stdout" 'boot success' 240 "$broker"; then
        echo "the $kind broker did not start:" >&2
        tail -n 40 "$dir/stdout" >&2
        exit 1
    fi
    bench_log "$kind broker $name up (pid $broker, 127.0.0.1:$broker_port)"
}

# bench_callgrind_per DIR N: the instructions of the callgrind dump in DIR (bench_start_broker
# callgrind, after `callgrind_control -d`) divided by N; "n/a" when no dump appears. The broker's
# process writes the dump after callgrind_control returns.
bench_callgrind_per() {
    local dir=$1 n=$2 i=""
    for _ in $(seq 1 300); do
        i=$(cat "$dir"/callgrind.out.* 2>/dev/null | awk '/^totals:/ { print $2; exit }' || true)
        [[ -z "$i" ]] || break
        sleep 0.1
    done
    awk -v i="$i" -v n="$n" 'BEGIN { if (i == "") print "n/a"; else printf "%.0f\n", i / n }'
}
