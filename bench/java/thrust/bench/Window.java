package thrust.bench;

import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/**
 * Counters of one load tool: a count, a latency sum and a latency maximum per event, plus a
 * failure count. A report takes the deltas since the previous report; the summary covers
 * everything after the first report, which is treated as warm-up (JIT, routes, rebalance).
 */
final class Window {
    final LongAdder count = new LongAdder();
    final LongAdder latencySum = new LongAdder();
    final LongAdder failed = new LongAdder();
    private final AtomicLong windowMax = new AtomicLong();
    private final AtomicLong allMax = new AtomicLong();

    private long lastCount;
    private long lastSum;
    private long lastAt = System.nanoTime();
    private long baseCount = -1;
    private long baseSum;
    private long baseAt;
    private long steadyMax;
    private int reports;

    void record(long latencyMs) {
        count.increment();
        latencySum.add(latencyMs);
        windowMax.accumulateAndGet(latencyMs, Math::max);
        allMax.accumulateAndGet(latencyMs, Math::max);
    }

    /** The largest latency of the whole run, warm-up included. */
    long maxEver() {
        return allMax.get();
    }

    /** One report line's numbers: {tps, avg latency, max latency}; advances the window. */
    synchronized double[] next() {
        long now = System.nanoTime();
        long c = count.sum();
        long s = latencySum.sum();
        long max = windowMax.getAndSet(0);
        double secs = Math.max(1e-9, (now - lastAt) / 1e9);
        double[] r = {(c - lastCount) / secs, avg(s - lastSum, c - lastCount), max};
        if (++reports == 1) {
            baseCount = c;
            baseSum = s;
            baseAt = now;
        } else {
            steadyMax = Math.max(steadyMax, max);
        }
        lastCount = c;
        lastSum = s;
        lastAt = now;
        return r;
    }

    /** {count, tps, avg latency, max latency} after the first report (or all, if none yet). */
    synchronized double[] steady() {
        long now = System.nanoTime();
        long c = count.sum();
        long s = latencySum.sum();
        long max = Math.max(steadyMax, windowMax.get());
        if (baseCount < 0) {
            return new double[] {c, 0, avg(s, c), max};
        }
        double secs = Math.max(1e-9, (now - baseAt) / 1e9);
        return new double[] {c - baseCount, (c - baseCount) / secs, avg(s - baseSum, c - baseCount), max};
    }

    static double avg(long sum, long n) {
        return n == 0 ? 0 : (double) sum / n;
    }
}
