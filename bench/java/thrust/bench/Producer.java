package thrust.bench;

import java.time.LocalTime;
import java.time.temporal.ChronoUnit;
import java.util.Random;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import org.apache.rocketmq.client.exception.MQBrokerException;
import org.apache.rocketmq.client.producer.DefaultMQProducer;
import org.apache.rocketmq.client.producer.SendResult;
import org.apache.rocketmq.client.producer.SendStatus;
import org.apache.rocketmq.common.message.Message;

/**
 * Synchronous-send load on a broker through the unmodified rocketmq-client, for bench/broker-compare.sh.
 *
 * <pre>
 * Producer -n HOST:PORT [-t BenchmarkTest] [-w 64] [-s 128] [-ri 10000]
 * </pre>
 *
 * Takes the flags of RocketMQ's benchmark Producer that the comparison uses and prints its report
 * line (tools-and-clients.md §4.1), so the script reads either tool:
 * {@code Current Time: T | Send TPS: N | Max RT(ms): N | Average RT(ms): x | Send Failed: N | Response Failed: N}.
 * Runs until stopped; on SIGTERM it prints one {@code [Summary]} line in the same shape: Send Total
 * counts every successful send of the run, the TPS and RTs cover the run after the first report
 * interval (warm-up). The first failures are printed to stderr.
 */
public final class Producer {
    private static final LongAdder RESPONSE_FAILED = new LongAdder();
    private static final LongAdder ERRORS_SHOWN = new LongAdder();
    private static volatile boolean stopping;

    public static void main(String[] argv) throws Exception {
        Flags f = new Flags(argv);
        String topic = f.str("-t", "BenchmarkTest");
        int threads = f.num("-w", 64);
        byte[] body = new byte[f.num("-s", 128)];
        new Random(7).nextBytes(body);
        long reportMs = f.num("-ri", 10000);
        System.out.printf("topic: %s, threadCount: %d, messageSize: %d, reportInterval: %d%n",
            topic, threads, body.length, reportMs);

        DefaultMQProducer producer = new DefaultMQProducer("benchmark_producer");
        producer.setNamesrvAddr(f.namesrv());
        producer.setInstanceName(Long.toString(ProcessHandle.current().pid()));
        // As the official tool without -c: never compress, so both brokers store the same bytes.
        producer.setCompressMsgBodyOverHowmuch(Integer.MAX_VALUE);
        producer.start();

        Window w = new Window();
        for (int i = 0; i < threads; i++) {
            Thread t = new Thread(() -> sendLoop(producer, topic, body, w), "send-" + i);
            t.setDaemon(true);
            t.start();
        }
        ScheduledExecutorService reporter = Executors.newSingleThreadScheduledExecutor();
        reporter.scheduleAtFixedRate(() -> {
            double[] r = w.next();
            System.out.println(line("Current Time: " + LocalTime.now().truncatedTo(ChronoUnit.MILLIS), r[0], r[2], r[1], w));
        }, reportMs, reportMs, TimeUnit.MILLISECONDS);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            stopping = true;
            double[] s = w.steady();
            System.out.println(line("[Summary] Send Total: " + w.count.sum(), s[1], s[3], s[2], w));
            System.out.flush();
        }));
        Thread.currentThread().join();
    }

    static String line(String head, double tps, double maxRt, double avgRt, Window w) {
        return String.format("%s | Send TPS: %.0f | Max RT(ms): %.0f | Average RT(ms): %.3f | Send Failed: %d | Response Failed: %d",
            head, tps, maxRt, avgRt, w.failed.sum(), RESPONSE_FAILED.sum());
    }

    static void sendLoop(DefaultMQProducer producer, String topic, byte[] body, Window w) {
        while (!stopping) {
            long start = System.currentTimeMillis();
            try {
                SendResult r = producer.send(new Message(topic, body));
                if (r.getSendStatus() == SendStatus.SEND_OK) {
                    w.record(System.currentTimeMillis() - start);
                } else {
                    RESPONSE_FAILED.increment();
                    show("send status " + r.getSendStatus());
                }
            } catch (MQBrokerException e) {
                RESPONSE_FAILED.increment();
                show(e.toString());
                pause();
            } catch (Exception e) {
                w.failed.increment();
                show(e.toString());
                pause();
            }
        }
    }

    /** Prints the first few failures: a broker that cannot serve the tool must say why. */
    static void show(String why) {
        if (ERRORS_SHOWN.sum() < 5) {
            ERRORS_SHOWN.increment();
            System.err.println("send failed: " + why);
        }
    }

    /** After an exception a sender waits a little (the official tool waits 3 s). */
    static void pause() {
        try {
            Thread.sleep(1000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
