#!/usr/bin/env bash
# Controller-mode failover: three Java 5.3.3 brokers (enableControllerMode=true,
# allAckInSyncStateSet=true) under each controller, one after the other: Java's embedded in its
# NameServer, Java's standalone ControllerStartup, Thrust's embedded in mqnamesrv and Thrust's
# standalone mqcontroller. Runs the compat scenarios controller::failover::* (a stream producer,
# the master SIGKILLed, the old master restarted) and prints, for each, the time from the SIGKILL
# to the new master being readable from the controller and to the producer's first acknowledged
# send after the failover. Messages lost: the scenarios fail if any acknowledged one is.
#
#   bench/controller-failover.sh
#   CASES="ours_controller_failover_embedded java_controller_failover_embedded" bench/controller-failover.sh
#
# BENCH_NO_BUILD=1 uses target/release as it is.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$BENCH_ROOT"

cases=(${CASES:-java_controller_failover_embedded java_controller_failover_standalone \
    ours_controller_failover_embedded ours_controller_failover_standalone})

if [[ -z "${BENCH_NO_BUILD:-}" ]]; then
    cargo build --release --bins -j 2
fi
for c in "${cases[@]}"; do
    log=$(mktemp)
    if cargo test --release -j 2 -p compat-tests --test compat -- "controller::failover::$c" \
        --exact --test-threads=1 --nocapture >"$log" 2>&1; then
        grep -oE "[A-Za-z]+: new master .* after the SIGKILL; sends resumed after .*" "$log"
    else
        echo "$c: FAILED (log: $log)"
        continue
    fi
    rm -f "$log"
done
