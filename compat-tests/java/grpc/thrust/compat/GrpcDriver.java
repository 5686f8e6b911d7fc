package thrust.compat;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.rocketmq.client.apis.ClientConfiguration;
import org.apache.rocketmq.client.apis.ClientServiceProvider;
import org.apache.rocketmq.client.apis.consumer.ConsumeResult;
import org.apache.rocketmq.client.apis.consumer.FilterExpression;
import org.apache.rocketmq.client.apis.consumer.PushConsumer;
import org.apache.rocketmq.client.apis.consumer.SimpleConsumer;
import org.apache.rocketmq.client.apis.message.Message;
import org.apache.rocketmq.client.apis.message.MessageBuilder;
import org.apache.rocketmq.client.apis.message.MessageView;
import org.apache.rocketmq.client.apis.producer.Producer;
import org.apache.rocketmq.client.apis.producer.ProducerBuilder;
import org.apache.rocketmq.client.apis.producer.SendReceipt;
import org.apache.rocketmq.client.apis.producer.Transaction;
import org.apache.rocketmq.client.apis.producer.TransactionResolution;

/**
 * The RocketMQ 5.x gRPC SDK (rocketmq-client-java) through a proxy's gRPC endpoint. One JSON
 * object per line on stdout. Every message of kind K has body {@code K-i}, tag TagA, keys
 * {@code key_K} and the user property {@code origin=K}.
 *
 * <pre>
 * produce ep=ADDR count=N [normal=T] [fifo=T] [delay=T] [tx=T] [groups=2] [delay_ms=4000]
 *         [check_timeout_ms=60000]
 *         one Producer sends N messages of every kind named: normal; FIFO with message group
 *         g(i % groups); delay with a delivery timestamp delay_ms ahead; transactional, where
 *         i%3==0 commits, 1 rolls back and 2 is left open for the checker, which commits it.
 *         Waits until the checker saw every open one.
 * receive ep=ADDR group=G topics=T[,T..] expect=N [invisible_ms=15000] [timeout_ms=60000]
 *         [linger_ms=2000]
 *         SimpleConsumer: receive and ack until N distinct bodies, then linger_ms more
 *         (anything else that arrives is printed too)
 * invisible ep=ADDR group=G topic=T [long_ms=30000] [short_ms=2000] [timeout_ms=60000]
 *         SimpleConsumer on one message m (others are acked): received for long_ms, then
 *         changeInvisibleDuration(m, short_ms) and not acked: m comes back early; received for
 *         short_ms and not acked: m comes back again; then acked: m stays gone for linger
 * dlq     ep=ADDR group=G topic=T [invisible_ms=2000] [timeout_ms=120000]
 *         SimpleConsumer that never acks: prints every delivery until killed or timeout
 * push    ep=ADDR group=G topic=T expect=N [timeout_ms=60000] [linger_ms=1500]
 *         PushConsumer answering SUCCESS; done after N distinct bodies plus linger_ms
 * recall  ep=ADDR topic=T count=N [delay_ms=4000] [recall=I,J..]
 *         one Producer sends N messages (bodies recall-i) with a delivery timestamp delay_ms
 *         ahead and prints each receipt's recall handle; then recallMessage of messages I, J..;
 *         then a recall the broker refuses: message 0's handle with a time already past
 * </pre>
 */
public final class GrpcDriver {
    private static final ClientServiceProvider PROVIDER = ClientServiceProvider.loadService();

    public static void main(String[] argv) {
        Modes.run(argv, Map.of(
            "produce", GrpcDriver::produce,
            "receive", GrpcDriver::receive,
            "invisible", GrpcDriver::invisible,
            "dlq", GrpcDriver::dlq,
            "push", GrpcDriver::push,
            "recall", GrpcDriver::recall));
    }

    /**
     * Plain text (the proxy accepts both), TLS with ssl=true (the SDK trusts any server
     * certificate), with the drivers' generous request timeout.
     */
    static ClientConfiguration config(Args a) {
        return ClientConfiguration.newBuilder()
            .setEndpoints(a.need("ep"))
            .enableSsl(a.str("ssl", "false").equals("true"))
            .setRequestTimeout(Duration.ofMillis(Args.CLIENT_API_TIMEOUT_MS))
            .build();
    }

    static String body(MessageView m) {
        return StandardCharsets.UTF_8.decode(m.getBody().duplicate()).toString();
    }

    static Json line(MessageView m) {
        Map<String, String> props = new HashMap<>();
        String origin = m.getProperties().get("origin");
        if (origin != null) {
            props.put("origin", origin);
        }
        return new Json().put("topic", m.getTopic()).put("body", body(m))
            .put("msgId", m.getMessageId().toString()).put("tags", m.getTag().orElse(null))
            .put("keys", String.join(" ", m.getKeys())).put("props", props)
            .put("group", m.getMessageGroup().orElse(null))
            .put("deliverAt", m.getDeliveryTimestamp().orElse(null))
            .put("attempt", m.getDeliveryAttempt()).put("recvMs", System.currentTimeMillis());
    }

    static int produce(Args a) throws Exception {
        int count = a.num("count", 4);
        Map<String, String> topics = new LinkedHashMap<>();
        for (String kind : new String[] {"normal", "fifo", "delay", "tx"}) {
            if (a.map.containsKey(kind)) {
                topics.put(kind, a.map.get(kind));
            }
        }
        Set<String> checked = ConcurrentHashMap.newKeySet();
        ProducerBuilder b = PROVIDER.newProducerBuilder().setClientConfiguration(config(a))
            .setTopics(topics.values().toArray(new String[0]));
        if (topics.containsKey("tx")) {
            b.setTransactionChecker(m -> {
                checked.add(body(m));
                new Json().put("check", body(m)).put("msgId", m.getMessageId().toString()).emit();
                return TransactionResolution.COMMIT;
            });
        }
        int open = 0;
        try (Producer p = b.build()) {
            for (Map.Entry<String, String> e : topics.entrySet()) {
                String kind = e.getKey();
                for (int i = 0; i < count; i++) {
                    Json out = new Json().put("kind", kind).put("body", kind + "-" + i);
                    Message m;
                    MessageBuilder mb = PROVIDER.newMessageBuilder().setTopic(e.getValue()).setTag("TagA")
                        .setKeys("key_" + kind).addProperty("origin", kind)
                        .setBody((kind + "-" + i).getBytes(StandardCharsets.UTF_8));
                    if (kind.equals("fifo")) {
                        String group = "g" + (i % a.num("groups", 2));
                        mb.setMessageGroup(group);
                        out.put("group", group);
                    } else if (kind.equals("delay")) {
                        long at = System.currentTimeMillis() + a.num("delay_ms", 4000);
                        mb.setDeliveryTimestamp(at);
                        out.put("deliverAt", at);
                    }
                    m = mb.build();
                    SendReceipt r;
                    if (kind.equals("tx")) {
                        Transaction tx = p.beginTransaction();
                        r = p.send(m, tx);
                        if (i % 3 == 0) {
                            tx.commit();
                            out.put("resolution", "COMMIT");
                        } else if (i % 3 == 1) {
                            tx.rollback();
                            out.put("resolution", "ROLLBACK");
                        } else {
                            open++;
                            out.put("resolution", "UNKNOWN");
                        }
                    } else {
                        r = p.send(m);
                    }
                    out.put("status", "SEND_OK").put("msgId", r.getMessageId().toString()).emit();
                }
            }
            // No wait for the EndTransaction that follows a check: the SDK starts it as the
            // checker returns, and close() first waits for the checker's thread, then lets the
            // channel's calls finish.
            long deadline = System.currentTimeMillis() + a.num("check_timeout_ms", 60000);
            while (checked.size() < open && System.currentTimeMillis() < deadline) {
                Thread.sleep(100);
            }
            new Json().put("done", true).put("open", open).put("checked", checked.size()).emit();
            return checked.size() >= open ? 0 : 2;
        }
    }

    static int recall(Args a) throws Exception {
        String topic = a.need("topic");
        List<String> handles = new java.util.ArrayList<>();
        try (Producer p = PROVIDER.newProducerBuilder().setClientConfiguration(config(a))
            .setTopics(topic).build()) {
            for (int i = 0; i < a.num("count", 4); i++) {
                long at = System.currentTimeMillis() + a.num("delay_ms", 4000);
                Message m = PROVIDER.newMessageBuilder().setTopic(topic).setTag("TagA")
                    .setKeys("key_recall").addProperty("origin", "recall").setDeliveryTimestamp(at)
                    .setBody(("recall-" + i).getBytes(StandardCharsets.UTF_8)).build();
                SendReceipt r = p.send(m);
                handles.add(r.getRecallHandle());
                new Json().put("kind", "recall").put("body", "recall-" + i).put("status", "SEND_OK")
                    .put("msgId", r.getMessageId().toString()).put("recallHandle", r.getRecallHandle())
                    .emit();
            }
            for (String i : a.str("recall", "").split(",")) {
                if (!i.isEmpty()) {
                    recallOne(p, topic, handles.get(Integer.parseInt(i)), new Json().put("recall", i));
                }
            }
            // v1 <topic> <brokerName> <timestamp> <uniqId>, with the timestamp a second ago
            String[] h = new String(java.util.Base64.getUrlDecoder().decode(handles.get(0)),
                StandardCharsets.UTF_8).split(" ");
            h[3] = String.valueOf(System.currentTimeMillis() - 1000);
            String past = java.util.Base64.getUrlEncoder()
                .encodeToString(String.join(" ", h).getBytes(StandardCharsets.UTF_8));
            recallOne(p, topic, past, new Json().put("recall", "past"));
        }
        return 0;
    }

    static void recallOne(Producer p, String topic, String handle, Json out) {
        try {
            out.put("msgId", p.recallMessage(topic, handle).getMessageId().toString());
        } catch (Exception e) {
            out.put("error", e.getClass().getSimpleName()).put("message", String.valueOf(e.getMessage()));
        }
        out.emit();
    }

    static SimpleConsumer simple(Args a, List<String> topics, int awaitMs) throws Exception {
        Map<String, FilterExpression> subs = new HashMap<>();
        for (String t : topics) {
            subs.put(t, FilterExpression.SUB_ALL);
        }
        return PROVIDER.newSimpleConsumerBuilder().setClientConfiguration(config(a))
            .setConsumerGroup(a.need("group")).setSubscriptionExpressions(subs)
            .setAwaitDuration(Duration.ofMillis(awaitMs)).build();
    }

    static int receive(Args a) throws Exception {
        int expect = a.num("expect", 1);
        Duration invisible = Duration.ofMillis(a.num("invisible_ms", 15000));
        Set<String> seen = new java.util.HashSet<>();
        try (SimpleConsumer c = simple(a, List.of(a.need("topics").split(",")), 2000)) {
            new Json().put("ready", true).emit();
            long deadline = System.currentTimeMillis() + a.num("timeout_ms", 60000);
            long lingerEnd = Long.MAX_VALUE;
            while (System.currentTimeMillis() < Math.min(deadline, lingerEnd)) {
                for (MessageView m : c.receive(16, invisible)) {
                    line(m).emit();
                    seen.add(body(m));
                    c.ack(m);
                }
                if (seen.size() >= expect && lingerEnd == Long.MAX_VALUE) {
                    lingerEnd = System.currentTimeMillis() + a.num("linger_ms", 2000);
                }
            }
        }
        new Json().put("done", true).put("received", seen.size()).emit();
        return seen.size() >= expect ? 0 : 2;
    }

    /** Receives until `target` comes back (acking any other message), or null at the deadline. */
    static MessageView await(SimpleConsumer c, String target, Duration invisible, long deadline)
        throws Exception {
        while (System.currentTimeMillis() < deadline) {
            for (MessageView m : c.receive(16, invisible)) {
                if (m.getMessageId().toString().equals(target)) {
                    return m;
                }
                line(m).put("step", "other").emit();
                c.ack(m);
            }
        }
        return null;
    }

    static int invisible(Args a) throws Exception {
        Duration longer = Duration.ofMillis(a.num("long_ms", 30000));
        Duration shorter = Duration.ofMillis(a.num("short_ms", 2000));
        long deadline = System.currentTimeMillis() + a.num("timeout_ms", 60000);
        try (SimpleConsumer c = simple(a, List.of(a.need("topic")), 2000)) {
            new Json().put("ready", true).emit();
            MessageView m = null;
            while (m == null && System.currentTimeMillis() < deadline) {
                List<MessageView> got = c.receive(1, longer);
                m = got.isEmpty() ? null : got.get(0);
            }
            if (m == null) {
                new Json().put("error", "nothing received").emit();
                return 2;
            }
            String id = m.getMessageId().toString();
            line(m).put("step", "received").emit();
            long changed = System.currentTimeMillis();
            c.changeInvisibleDuration(m, shorter);
            new Json().put("step", "changed").put("msgId", id).emit();
            MessageView again = await(c, id, shorter, deadline);
            if (again == null) {
                new Json().put("error", "not redelivered after changeInvisibleDuration").emit();
                return 2;
            }
            line(again).put("step", "redelivered").put("afterMs", System.currentTimeMillis() - changed).emit();
            long left = System.currentTimeMillis();
            MessageView third = await(c, id, shorter, deadline);
            if (third == null) {
                new Json().put("error", "not redelivered after its invisible time").emit();
                return 2;
            }
            line(third).put("step", "retried").put("afterMs", System.currentTimeMillis() - left).emit();
            c.ack(third);
            new Json().put("step", "acked").put("msgId", id).emit();
            long lingerEnd = System.currentTimeMillis() + shorter.toMillis() * 3;
            MessageView late = await(c, id, shorter, Math.min(deadline, lingerEnd));
            if (late != null) {
                line(late).put("step", "after-ack").emit();
                return 2;
            }
        }
        new Json().put("done", true).emit();
        return 0;
    }

    static int dlq(Args a) throws Exception {
        Duration invisible = Duration.ofMillis(a.num("invisible_ms", 2000));
        long deadline = System.currentTimeMillis() + a.num("timeout_ms", 120000);
        try (SimpleConsumer c = simple(a, List.of(a.need("topic")), 2000)) {
            new Json().put("ready", true).emit();
            while (System.currentTimeMillis() < deadline) {
                for (MessageView m : c.receive(16, invisible)) {
                    line(m).emit();
                }
            }
        }
        return 0;
    }

    static int push(Args a) throws Exception {
        int expect = a.num("expect", 1);
        Set<String> seen = ConcurrentHashMap.newKeySet();
        AtomicInteger deliveries = new AtomicInteger();
        CountDownLatch all = new CountDownLatch(1);
        PushConsumer c = PROVIDER.newPushConsumerBuilder().setClientConfiguration(config(a))
            .setConsumerGroup(a.need("group"))
            .setSubscriptionExpressions(Map.of(a.need("topic"), FilterExpression.SUB_ALL))
            .setConsumptionThreadCount(2)
            .setMessageListener(m -> {
                line(m).emit();
                deliveries.incrementAndGet();
                seen.add(body(m));
                if (seen.size() >= expect) {
                    all.countDown();
                }
                return ConsumeResult.SUCCESS;
            })
            .build();
        new Json().put("ready", true).emit();
        boolean ok = all.await(a.num("timeout_ms", 60000), TimeUnit.MILLISECONDS);
        Thread.sleep(a.num("linger_ms", 1500));
        // Not closed: close() waits out the long polls in flight, and Modes halts the JVM anyway.
        new Json().put("done", true).put("received", seen.size()).put("deliveries", deliveries.get()).emit();
        return ok ? 0 : 2;
    }

    private GrpcDriver() {
    }
}
