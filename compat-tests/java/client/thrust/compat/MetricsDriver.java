package thrust.compat;

import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.apache.rocketmq.client.consumer.DefaultMQPushConsumer;
import org.apache.rocketmq.client.consumer.listener.ConsumeConcurrentlyStatus;
import org.apache.rocketmq.client.consumer.listener.MessageListenerConcurrently;
import org.apache.rocketmq.client.producer.DefaultMQProducer;
import org.apache.rocketmq.client.producer.LocalTransactionState;
import org.apache.rocketmq.client.producer.SendResult;
import org.apache.rocketmq.client.producer.TransactionListener;
import org.apache.rocketmq.client.producer.TransactionMQProducer;
import org.apache.rocketmq.client.producer.TransactionSendResult;
import org.apache.rocketmq.common.consumer.ConsumeFromWhere;
import org.apache.rocketmq.common.message.Message;
import org.apache.rocketmq.common.message.MessageAccessor;
import org.apache.rocketmq.common.message.MessageExt;

/**
 * The traffic behind the broker metrics scenario, in one JVM whose clients stay online while the
 * scenario scrapes the broker's metrics endpoint. One JSON object per line on stdout.
 *
 * <pre>
 * traffic ns=ADDR topic=T dlq_topic=D group=G count=N lag=M dlq=K [hold_ms=600000]
 *   1. producer G-p sends N normal messages (bodies m-i), one with delay level 1 (delay-0) and
 *      one timer message due in 1 s (timer-0) to T, and K normal messages (d-i) to D; transaction
 *      producer G-tx sends one half message to T that it commits (tx-commit) and one that it
 *      rolls back (tx-rollback)                                                   {"sent":N+K+4}
 *   2. push consumer G-c on T consumes the N + 3 deliverable messages            {"consumed":N+3}
 *      push consumer G-dlq on D (maxReconsumeTimes 1) answers RECONSUME_LATER (delay level 1)
 *      to every delivery: each message comes back once, then goes to %DLQ%G-dlq   {"failed":K}
 *   3. G-p sends M more (hold-i) to T; G-c's listener holds each one without returning, so the
 *      group stays online with M messages unconsumed                             {"lagging":M}
 *   4. every client stays online for hold_ms (the scenario ends the JVM sooner)
 * </pre>
 */
public final class MetricsDriver {
    public static void main(String[] argv) {
        Modes.run(argv, Map.of("traffic", MetricsDriver::traffic));
    }

    static String body(MessageExt m) {
        return new String(m.getBody(), StandardCharsets.UTF_8);
    }

    static Message message(String topic, String body) {
        return new Message(topic, body.getBytes(StandardCharsets.UTF_8));
    }

    static DefaultMQPushConsumer consumer(Args a, String group, String topic) throws Exception {
        DefaultMQPushConsumer c = new DefaultMQPushConsumer(group);
        c.setNamesrvAddr(a.need("ns"));
        c.setMqClientApiTimeout(Args.CLIENT_API_TIMEOUT_MS);
        c.setConsumeFromWhere(ConsumeFromWhere.CONSUME_FROM_FIRST_OFFSET);
        c.setInstanceName("metrics-" + group);
        c.subscribe(topic, "*");
        return c;
    }

    static void sent(String what, SendResult r) {
        new Json().put("send", what).put("status", r.getSendStatus().name())
            .put("queueId", r.getMessageQueue().getQueueId()).emit();
    }

    static int traffic(Args a) throws Exception {
        String topic = a.need("topic");
        String dlqTopic = a.need("dlq_topic");
        String group = a.need("group");
        int count = a.num("count", 20);
        int lag = a.num("lag", 5);
        int dlq = a.num("dlq", 2);
        long timeout = a.num("timeout_ms", 120000);

        DefaultMQProducer p = new DefaultMQProducer(group + "-p");
        p.setNamesrvAddr(a.need("ns"));
        p.setMqClientApiTimeout(Args.CLIENT_API_TIMEOUT_MS);
        p.setSendMsgTimeout(a.sendTimeoutMs());
        p.setInstanceName("metrics-" + group + "-p");
        p.start();
        for (int i = 0; i < count; i++) {
            sent("m-" + i, p.send(message(topic, "m-" + i)));
        }
        Message delayed = message(topic, "delay-0");
        delayed.setDelayTimeLevel(1);
        sent("delay-0", p.send(delayed));
        Message timer = message(topic, "timer-0");
        // TIMER_DELAY_SEC: a 5.x timer message (MessageAccessor: 4.9.8's Message has no setter).
        MessageAccessor.putProperty(timer, "TIMER_DELAY_SEC", "1");
        sent("timer-0", p.send(timer));
        for (int i = 0; i < dlq; i++) {
            sent("d-" + i, p.send(message(dlqTopic, "d-" + i)));
        }

        TransactionMQProducer tx = new TransactionMQProducer(group + "-tx");
        tx.setNamesrvAddr(a.need("ns"));
        tx.setMqClientApiTimeout(Args.CLIENT_API_TIMEOUT_MS);
        tx.setSendMsgTimeout(a.sendTimeoutMs());
        tx.setInstanceName("metrics-" + group + "-tx");
        tx.setTransactionListener(new TransactionListener() {
            @Override
            public LocalTransactionState executeLocalTransaction(Message msg, Object arg) {
                return (Boolean) arg ? LocalTransactionState.COMMIT_MESSAGE : LocalTransactionState.ROLLBACK_MESSAGE;
            }

            @Override
            public LocalTransactionState checkLocalTransaction(MessageExt msg) {
                return body(msg).equals("tx-commit") ? LocalTransactionState.COMMIT_MESSAGE
                    : LocalTransactionState.ROLLBACK_MESSAGE;
            }
        });
        tx.start();
        for (String b : new String[] {"tx-commit", "tx-rollback"}) {
            TransactionSendResult r = tx.sendMessageInTransaction(message(topic, b), b.equals("tx-commit"));
            new Json().put("send", b).put("status", r.getSendStatus().name())
                .put("state", String.valueOf(r.getLocalTransactionState())).emit();
        }
        new Json().put("sent", count + dlq + 4).emit();

        // Step 2: G-c consumes what is deliverable; held messages (step 3) never return.
        Set<String> consumed = ConcurrentHashMap.newKeySet();
        CountDownLatch allConsumed = new CountDownLatch(1);
        CountDownLatch never = new CountDownLatch(1);
        Set<String> held = ConcurrentHashMap.newKeySet();
        CountDownLatch allHeld = new CountDownLatch(lag);
        DefaultMQPushConsumer c = consumer(a, group + "-c", topic);
        c.registerMessageListener((MessageListenerConcurrently) (msgs, ctx) -> {
            for (MessageExt m : msgs) {
                String b = body(m);
                if (b.startsWith("hold-")) {
                    if (held.add(b)) {
                        allHeld.countDown();
                    }
                    try {
                        never.await();
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                    return ConsumeConcurrentlyStatus.RECONSUME_LATER;
                }
                consumed.add(b);
                if (consumed.size() >= count + 3) {
                    allConsumed.countDown();
                }
            }
            return ConsumeConcurrentlyStatus.CONSUME_SUCCESS;
        });
        c.start();

        Map<String, Integer> failed = new ConcurrentHashMap<>();
        CountDownLatch allFailed = new CountDownLatch(1);
        DefaultMQPushConsumer d = consumer(a, group + "-dlq", dlqTopic);
        d.setMaxReconsumeTimes(1);
        d.registerMessageListener((MessageListenerConcurrently) (msgs, ctx) -> {
            for (MessageExt m : msgs) {
                new Json().put("failing", body(m)).put("reconsumeTimes", m.getReconsumeTimes()).emit();
                if (m.getReconsumeTimes() >= 1) {
                    failed.put(body(m), m.getReconsumeTimes());
                }
            }
            if (failed.size() >= dlq) {
                allFailed.countDown();
            }
            ctx.setDelayLevelWhenNextConsume(1);
            return ConsumeConcurrentlyStatus.RECONSUME_LATER;
        });
        d.start();
        new Json().put("ready", true).emit();

        if (!allConsumed.await(timeout, TimeUnit.MILLISECONDS)) {
            new Json().put("error", "consumed only " + consumed.size()).put("bodies", String.valueOf(consumed)).emit();
            return 2;
        }
        new Json().put("consumed", consumed.size()).emit();
        if (!allFailed.await(timeout, TimeUnit.MILLISECONDS)) {
            new Json().put("error", "failed twice only " + failed.size()).emit();
            return 2;
        }
        new Json().put("failed", failed.size()).emit();

        // Step 3.
        for (int i = 0; i < lag; i++) {
            sent("hold-" + i, p.send(message(topic, "hold-" + i)));
        }
        if (!allHeld.await(timeout, TimeUnit.MILLISECONDS)) {
            new Json().put("error", "held only " + held.size()).emit();
            return 2;
        }
        new Json().put("lagging", lag).emit();
        Thread.sleep(a.num("hold_ms", 600000));
        return 0;
    }
}
