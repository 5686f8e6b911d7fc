package thrust.bench;

import java.time.LocalTime;
import java.time.temporal.ChronoUnit;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.rocketmq.client.consumer.DefaultMQPushConsumer;
import org.apache.rocketmq.client.consumer.listener.ConsumeConcurrentlyStatus;
import org.apache.rocketmq.client.consumer.listener.MessageListenerConcurrently;
import org.apache.rocketmq.common.consumer.ConsumeFromWhere;
import org.apache.rocketmq.common.message.MessageExt;

/**
 * Push-consumer load on a broker through the unmodified rocketmq-client, for bench/broker-compare.sh.
 *
 * <pre>
 * Consumer -n HOST:PORT [-t BenchmarkTest] [-g benchmark_consumer] [-w 20] [-ri 10000] [-x idleMs]
 * </pre>
 *
 * Takes the flags of RocketMQ's benchmark Consumer that the comparison uses and prints its report
 * line (tools-and-clients.md §4.2). A new group starts at the first offset, so a run after the
 * producer drains the backlog. With {@code -x}, it exits once nothing has arrived for that many ms
 * (after the first message). On exit it prints {@code [Summary] Consume Total: N | Consume TPS: x | …}
 * where the TPS is messages over the time from the first to the last message received, and the
 * latencies cover every message.
 */
public final class Consumer {
    private static final AtomicLong FIRST = new AtomicLong();
    private static final AtomicLong LAST = new AtomicLong();

    public static void main(String[] argv) throws Exception {
        Flags f = new Flags(argv);
        String topic = f.str("-t", "BenchmarkTest");
        String group = f.str("-g", "benchmark_consumer");
        int threads = f.num("-w", 20);
        long reportMs = f.num("-ri", 10000);
        long idleMs = f.num("-x", 0);
        System.out.printf("topic: %s, threadCount: %d, group: %s, reportInterval: %d%n", topic, threads, group, reportMs);

        Window b2c = new Window();
        Window s2c = new Window();
        DefaultMQPushConsumer consumer = new DefaultMQPushConsumer(group);
        consumer.setNamesrvAddr(f.namesrv());
        consumer.setInstanceName(Long.toString(ProcessHandle.current().pid()));
        consumer.setConsumeThreadMin(threads);
        consumer.setConsumeThreadMax(threads);
        consumer.setConsumeFromWhere(ConsumeFromWhere.CONSUME_FROM_FIRST_OFFSET);
        consumer.subscribe(topic, "*");
        consumer.registerMessageListener((MessageListenerConcurrently) (msgs, ctx) -> {
            long now = System.currentTimeMillis();
            FIRST.compareAndSet(0, now);
            LAST.accumulateAndGet(now, Math::max);
            for (MessageExt m : msgs) {
                b2c.record(now - m.getBornTimestamp());
                s2c.record(now - m.getStoreTimestamp());
            }
            return ConsumeConcurrentlyStatus.CONSUME_SUCCESS;
        });
        consumer.start();
        System.out.println("Consumer Started.");

        ScheduledExecutorService reporter = Executors.newSingleThreadScheduledExecutor();
        reporter.scheduleAtFixedRate(() -> {
            double[] b = b2c.next();
            double[] s = s2c.next();
            System.out.println(line("Current Time: " + LocalTime.now().truncatedTo(ChronoUnit.MILLIS), b[0], b[1], s[1], b[2], s[2], b2c));
        }, reportMs, reportMs, TimeUnit.MILLISECONDS);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> summary(b2c, s2c)));
        while (true) {
            Thread.sleep(100);
            long last = LAST.get();
            if (idleMs > 0 && last > 0 && System.currentTimeMillis() - last > idleMs) {
                System.exit(0);
            }
        }
    }

    static String line(String head, double tps, double avgB2c, double avgS2c, double maxB2c, double maxS2c, Window w) {
        return String.format("%s | Consume TPS: %.0f | AVG(B2C) RT(ms): %.3f | AVG(S2C) RT(ms): %.3f | MAX(B2C) RT(ms): %.0f | MAX(S2C) RT(ms): %.0f | Consume Fail: %d",
            head, tps, avgB2c, avgS2c, maxB2c, maxS2c, w.failed.sum());
    }

    static void summary(Window b2c, Window s2c) {
        long total = b2c.count.sum();
        double secs = Math.max(1e-3, (LAST.get() - FIRST.get()) / 1000.0);
        double tps = total <= 1 ? 0 : total / secs;
        System.out.println(line(String.format("[Summary] Consume Total: %d", total), tps,
            Window.avg(b2c.latencySum.sum(), total), Window.avg(s2c.latencySum.sum(), total),
            b2c.maxEver(), s2c.maxEver(), b2c));
        System.out.flush();
    }
}
