#!/usr/bin/env bash
# Controller-mode failover: three brokers (enableControllerMode=true, allAckInSyncStateSet=true)
# under each controller, one after the other: Java 5.3.3 brokers under Java's controller embedded
# in its NameServer, Java brokers under Thrust's embedded in mqnamesrv, Thrust brokers under
# Thrust's standalone mqcontroller, and three brokers under three controllers whose leader is
# killed first (Java's DLedger group with Java brokers, Thrust's Raft group with Thrust brokers).
# Runs the compat scenarios broker::failover::* (a stream producer, the master SIGKILLed, the old
# master restarted) and prints, for each, the time from the SIGKILL to the new master being
# readable from the controller, to the new master storing a send made straight to its address
# (the failover proper), and to the producer's first acknowledged send after the failover (which
# waits for the client's 30 s route refresh). Messages lost: the scenarios fail if any
# acknowledged one is.
#
#   bench/controller-failover.sh
#   CASES="java_controller_failover ours_controller_java_brokers_fail_over" bench/controller-failover.sh
#
# BENCH_NO_BUILD=1 uses target/release as it is.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$BENCH_ROOT"

cases=(${CASES:-java_controller_failover ours_controller_java_brokers_fail_over \
    ours_controller_failover java_three_controllers_leader_killed \
    ours_three_controllers_leader_killed})

if [[ -z "${BENCH_NO_BUILD:-}" ]]; then
    cargo build --release --bins -j 2
fi
for c in "${cases[@]}"; do
    log=$(mktemp)
    if cargo test --release -j 2 -p compat-tests --test compat -- "broker::failover::$c" \
        --exact --test-threads=1 --nocapture >"$log" 2>&1; then
        echo "$c: $(grep -oE "new master elected .* after the SIGKILL.*" "$log")"
    else
        echo "$c: FAILED (log: $log)"
        continue
    fi
    rm -f "$log"
done
