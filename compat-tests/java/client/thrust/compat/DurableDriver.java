package thrust.compat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Paths;
import java.text.SimpleDateFormat;
import java.util.Date;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.apache.rocketmq.client.consumer.DefaultMQPushConsumer;
import org.apache.rocketmq.client.consumer.listener.ConsumeConcurrentlyStatus;
import org.apache.rocketmq.client.consumer.listener.MessageListenerConcurrently;
import org.apache.rocketmq.client.consumer.store.OffsetStore;
import org.apache.rocketmq.client.consumer.store.ReadOffsetType;
import org.apache.rocketmq.client.exception.MQBrokerException;
import org.apache.rocketmq.client.producer.DefaultMQProducer;
import org.apache.rocketmq.client.producer.SendResult;
import org.apache.rocketmq.client.producer.SendStatus;
import org.apache.rocketmq.common.consumer.ConsumeFromWhere;
import org.apache.rocketmq.common.message.Message;
import org.apache.rocketmq.common.message.MessageExt;
import org.apache.rocketmq.common.message.MessageQueue;

/**
 * Durability scenarios' client programs (compiled and run against rocketmq-client 5.3.3 and
 * 4.9.8). Output: one JSON object per line on stdout, flushed at once, so a line written before
 * the broker was killed is never lost.
 *
 * <pre>
 * stream  ns=ADDR topic=T group=G count=N [body=prefix] [pad=BYTES] [pause_ms=0]
 *         sync sends one at a time; a failure is printed (with the broker's "code" and "remark"
 *         when the broker refused it) and the next message is tried after 100 ms
 * consume ns=ADDR topic=T group=G [expect=N] [need_file=PATH] [from=first|last|timestamp]
 *         [ts_ms=EPOCH_MS] [wait_queues=0] [timeout_ms=120000] [linger_ms=2000] [heartbeat_ms=2000]
 *         [drain_to=Q:OFFSET,...]
 *         "ready" once wait_queues queues of the topic have their start offset;
 *         done when N distinct messages arrived, or every body listed in need_file did, and the
 *         consumed offset of each queue id listed in drain_to reached its OFFSET (messages the
 *         broker stored but never acknowledged come after the needed ones), which it says with
 *         "complete" (true, or false at timeout_ms); then lingers and shuts the consumer down
 *         cleanly (which persists its offsets)
 * </pre>
 */
public final class DurableDriver {
    public static void main(String[] argv) {
        Modes.run(argv, Map.of(
            "stream", DurableDriver::stream,
            "consume", DurableDriver::consume));
    }

    static void fail(String why) {
        new Json().put("error", why).emit();
        Runtime.getRuntime().halt(1);
    }

    static int stream(Args a) throws Exception {
        DefaultMQProducer p = new DefaultMQProducer(a.need("group"));
        p.setNamesrvAddr(a.need("ns"));
        p.setMqClientApiTimeout(Args.CLIENT_API_TIMEOUT_MS);
        p.setInstanceName("stream-" + ProcessHandle.current().pid());
        p.setSendMsgTimeout(a.sendTimeoutMs());
        p.start();
        new Json().put("ready", true).emit();
        String prefix = a.str("body", "s");
        // Padding after a '|' makes records bigger (to fill CommitLog segments); readers cut it off.
        StringBuilder pad = new StringBuilder(a.num("pad", 0) > 0 ? "|" : "");
        for (int i = a.num("pad", 0); i > 0; i--) {
            pad.append('x');
        }
        int count = a.num("count", 1000);
        int pause = a.num("pause_ms", 0);
        int failed = 0;
        for (int i = 0; i < count; i++) {
            String body = prefix + "-" + i;
            Message msg = new Message(a.need("topic"), (body + pad).getBytes(StandardCharsets.UTF_8));
            try {
                SendResult r = p.send(msg);
                Json line = new Json().put("i", i).put("status", r.getSendStatus().name())
                    .put("msgId", r.getMsgId()).put("queueId", r.getMessageQueue().getQueueId())
                    .put("queueOffset", r.getQueueOffset());
                if (r.getSendStatus() == SendStatus.SEND_OK) {
                    line.put("body", body);
                }
                line.emit();
            } catch (Exception e) {
                failed++;
                brokerAnswer(new Json().put("i", i).put("error", String.valueOf(e)), e).emit();
                Thread.sleep(100);
            }
            if (pause > 0) {
                Thread.sleep(pause);
            }
        }
        p.shutdown();
        new Json().put("done", true).put("failed", failed).emit();
        return 0;
    }

    /** Adds the broker's response code and remark when a broker refusal caused {@code e}. */
    static Json brokerAnswer(Json line, Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof MQBrokerException) {
                MQBrokerException b = (MQBrokerException) t;
                return line.put("code", b.getResponseCode()).put("remark", b.getErrorMessage());
            }
        }
        return line;
    }

    static ConsumeFromWhere fromWhere(String from) {
        switch (from) {
            case "first":
                return ConsumeFromWhere.CONSUME_FROM_FIRST_OFFSET;
            case "last":
                return ConsumeFromWhere.CONSUME_FROM_LAST_OFFSET;
            case "timestamp":
                return ConsumeFromWhere.CONSUME_FROM_TIMESTAMP;
            default:
                throw new IllegalArgumentException("from=" + from);
        }
    }

    /**
     * Waits until the consumer's in-memory offset of every listed queue id of {@code topic} (on
     * whichever broker holds it) has reached the given offset; false at the deadline.
     */
    static boolean drained(DefaultMQPushConsumer c, String topic, String drainTo, long deadline)
        throws InterruptedException {
        Map<Integer, Long> want = new HashMap<>();
        for (String part : drainTo.split(",")) {
            if (!part.isEmpty()) {
                String[] qo = part.split(":");
                want.put(Integer.parseInt(qo[0]), Long.parseLong(qo[1]));
            }
        }
        OffsetStore store = c.getDefaultMQPushConsumerImpl().getOffsetStore();
        while (true) {
            Map<Integer, Long> reached = new HashMap<>();
            for (MessageQueue mq : c.getDefaultMQPushConsumerImpl().getRebalanceImpl().getProcessQueueTable().keySet()) {
                if (mq.getTopic().equals(topic)) {
                    reached.merge(mq.getQueueId(), store.readOffset(mq, ReadOffsetType.READ_FROM_MEMORY), Math::max);
                }
            }
            boolean done = want.entrySet().stream()
                .allMatch(e -> reached.getOrDefault(e.getKey(), -1L) >= e.getValue());
            if (done) {
                return true;
            }
            if (System.currentTimeMillis() > deadline) {
                new Json().put("error", "offsets " + reached + " short of " + want).emit();
                return false;
            }
            Thread.sleep(100);
        }
    }

    /**
     * Waits until the rebalance has taken at least {@code want} queues of {@code topic}: a queue
     * enters the process-queue table only after its start offset was computed (QUERY_CONSUMER_OFFSET,
     * then GET_MAX_OFFSET or SEARCH_OFFSET_BY_TIMESTAMP), so messages sent afterwards are after it.
     */
    static int awaitQueues(DefaultMQPushConsumer c, String topic, int want) throws InterruptedException {
        long deadline = System.currentTimeMillis() + 60000;
        int n = 0;
        while (true) {
            n = 0;
            for (MessageQueue mq : c.getDefaultMQPushConsumerImpl().getRebalanceImpl().getProcessQueueTable().keySet()) {
                if (mq.getTopic().equals(topic)) {
                    n++;
                }
            }
            if (n >= want || System.currentTimeMillis() > deadline) {
                return n;
            }
            Thread.sleep(100);
        }
    }

    static int consume(Args a) throws Exception {
        DefaultMQPushConsumer c = new DefaultMQPushConsumer(a.need("group"));
        c.setNamesrvAddr(a.need("ns"));
        c.setMqClientApiTimeout(Args.CLIENT_API_TIMEOUT_MS);
        c.setConsumeFromWhere(fromWhere(a.str("from", "first")));
        // The Java broker rejects pulls ("subscription is not latest") until a heartbeat carries
        // the subscription version the first rebalance set; the default 30 s interval makes a new
        // group wait that long for its first message.
        c.setHeartbeatBrokerInterval(a.num("heartbeat_ms", 2000));
        String ts = a.str("ts_ms", "");
        if (!ts.isEmpty()) {
            // The client parses it back with the same pattern in the same (default) time zone.
            String stamp = new SimpleDateFormat("yyyyMMddHHmmss").format(new Date(Long.parseLong(ts)));
            c.setConsumeTimestamp(stamp);
            new Json().put("consumeTimestamp", stamp).emit();
        }
        c.subscribe(a.need("topic"), "*");
        Set<String> need = new HashSet<>();
        String needFile = a.str("need_file", "");
        if (!needFile.isEmpty()) {
            for (String line : Files.readAllLines(Paths.get(needFile), StandardCharsets.UTF_8)) {
                if (!line.isEmpty()) {
                    need.add(line);
                }
            }
        }
        int expect = need.isEmpty() ? a.num("expect", 1) : Integer.MAX_VALUE;
        Set<String> seen = ConcurrentHashMap.newKeySet();
        Set<String> missing = ConcurrentHashMap.newKeySet();
        missing.addAll(need);
        CountDownLatch all = new CountDownLatch(1);
        c.registerMessageListener((MessageListenerConcurrently) (msgs, ctx) -> {
            for (MessageExt m : msgs) {
                String full = new String(m.getBody(), StandardCharsets.UTF_8);
                int bar = full.indexOf('|');
                String body = bar < 0 ? full : full.substring(0, bar);
                new Json().put("body", body).put("msgId", m.getMsgId()).put("queueId", m.getQueueId())
                    .put("queueOffset", m.getQueueOffset()).put("reconsumeTimes", m.getReconsumeTimes()).emit();
                seen.add(m.getMsgId());
                missing.remove(body);
                if (need.isEmpty() ? seen.size() >= expect : missing.isEmpty()) {
                    all.countDown();
                }
            }
            return ConsumeConcurrentlyStatus.CONSUME_SUCCESS;
        });
        c.start();
        int queues = awaitQueues(c, a.need("topic"), a.num("wait_queues", 0));
        new Json().put("ready", true).put("queues", queues).emit();
        long deadline = System.currentTimeMillis() + a.num("timeout_ms", 120000);
        boolean ok = all.await(a.num("timeout_ms", 120000), TimeUnit.MILLISECONDS)
            && drained(c, a.need("topic"), a.str("drain_to", ""), deadline);
        new Json().put("complete", ok).emit();
        Thread.sleep(a.num("linger_ms", 2000));
        // A clean shutdown persists the consumed offsets (UPDATE_CONSUMER_OFFSET per queue).
        c.shutdown();
        new Json().put("done", true).put("received", seen.size()).put("missing", missing.size()).emit();
        return ok ? 0 : 2;
    }
}
