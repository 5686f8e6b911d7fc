package thrust.compat;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.rocketmq.client.consumer.DefaultMQPullConsumer;
import org.apache.rocketmq.client.consumer.DefaultMQPushConsumer;
import org.apache.rocketmq.client.consumer.MessageSelector;
import org.apache.rocketmq.client.consumer.listener.ConsumeConcurrentlyStatus;
import org.apache.rocketmq.client.consumer.listener.MessageListenerConcurrently;
import org.apache.rocketmq.client.consumer.PullResult;
import org.apache.rocketmq.client.consumer.PullStatus;
import org.apache.rocketmq.client.exception.MQBrokerException;
import org.apache.rocketmq.client.exception.MQClientException;
import org.apache.rocketmq.client.impl.MQClientManager;
import org.apache.rocketmq.client.impl.factory.MQClientInstance;
import org.apache.rocketmq.client.producer.DefaultMQProducer;
import org.apache.rocketmq.client.producer.SendResult;
import org.apache.rocketmq.common.message.Message;
import org.apache.rocketmq.common.message.MessageExt;
import org.apache.rocketmq.common.message.MessageQueue;

/**
 * Limit and policy scenarios for the unmodified Java client (compiled against 5.3.3 and 4.9.8).
 * One JSON object per line on stdout; the test judges, so every mode exits 0 once it has reported.
 *
 * <pre>
 * send   ns=ADDR topic=T group=G [big=BYTES] [max=BYTES] [normal=N]
 *        one sync send of BYTES random (incompressible) bytes when big&gt;0, with the producer's
 *        client-side maxMessageSize raised to max when max&gt;0; then N small sync sends
 *        ("limits-i") on the same producer. Each send prints its result or its exception:
 *        {"step":"big"|"normal","exception":class,"code":responseCode,"message":errorMessage}
 * fanout ns=ADDR prefix=P n=N group=G [threads=4]
 *        one sync send "fan-i" to each topic P_i (i &lt; N), then a DefaultMQPullConsumer reads
 *        every queue of every topic from offset 0; prints failures, then one summary line
 * sql    ns=ADDR topic=T group=G [expr="a &gt; 0"]
 *        two sync sends with the user property a=1 and a=0; then a push consumer subscribing with
 *        MessageSelector.bySql(expr) starts: {"step":"push","started":true} or its exception;
 *        then a DefaultMQPullConsumer, once it has sent its heartbeat, pulls every queue of T
 *        from offset 0 with the same selector: {"step":"pull","queueId":q,"status":s,"found":n}
 *        or the exception
 * </pre>
 */
public final class LimitsDriver {
    public static void main(String[] argv) {
        Modes.run(argv, Map.of(
            "send", LimitsDriver::send,
            "fanout", LimitsDriver::fanout,
            "sql", LimitsDriver::sql));
    }

    static DefaultMQProducer producer(Args a) throws MQClientException {
        DefaultMQProducer p = new DefaultMQProducer(a.need("group"));
        p.setNamesrvAddr(a.need("ns"));
        p.setMqClientApiTimeout(Args.CLIENT_API_TIMEOUT_MS);
        // a shared 2-core machine: never let a slow send look like a broker answer
        p.setSendMsgTimeout(20000);
        int max = a.num("max", 0);
        if (max > 0) {
            p.setMaxMessageSize(max);
        }
        p.start();
        return p;
    }

    static int send(Args a) throws Exception {
        DefaultMQProducer p = producer(a);
        String topic = a.need("topic");
        int big = a.num("big", 0);
        if (big > 0) {
            byte[] body = new byte[big];
            new Random(big).nextBytes(body);
            sendOne(p, new Message(topic, body), "big");
        }
        int normal = a.num("normal", 1);
        for (int i = 0; i < normal; i++) {
            sendOne(p, new Message(topic, ("limits-" + i).getBytes(StandardCharsets.UTF_8)), "normal");
        }
        p.shutdown();
        return 0;
    }

    static void sendOne(DefaultMQProducer p, Message msg, String step) throws InterruptedException {
        Json j = new Json().put("step", step);
        try {
            SendResult r = p.send(msg);
            j.put("status", r.getSendStatus().name()).put("broker", r.getMessageQueue().getBrokerName())
                .put("queueId", r.getMessageQueue().getQueueId()).put("msgId", r.getMsgId())
                .put("offsetMsgId", r.getOffsetMsgId());
        } catch (MQBrokerException e) {
            j.put("exception", "MQBrokerException").put("code", e.getResponseCode())
                .put("message", String.valueOf(e.getErrorMessage()));
        } catch (MQClientException e) {
            j.put("exception", "MQClientException").put("code", e.getResponseCode())
                .put("message", String.valueOf(e.getErrorMessage()));
        } catch (Exception e) {
            j.put("exception", e.getClass().getSimpleName()).put("message", String.valueOf(e));
        }
        j.emit();
    }

    static int fanout(Args a) throws Exception {
        String prefix = a.need("prefix");
        int n = a.num("n", 1);
        ExecutorService pool = Executors.newFixedThreadPool(a.num("threads", 4));
        long start = System.currentTimeMillis();
        DefaultMQProducer p = producer(a);
        AtomicInteger sent = new AtomicInteger();
        List<Future<?>> work = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            final int idx = i;
            work.add(pool.submit(() -> {
                String topic = prefix + "_" + idx;
                try {
                    SendResult r = p.send(new Message(topic, ("fan-" + idx).getBytes(StandardCharsets.UTF_8)));
                    if (r.getSendStatus().name().equals("SEND_OK")) {
                        sent.incrementAndGet();
                        return;
                    }
                    new Json().put("topic", topic).put("status", r.getSendStatus().name()).emit();
                } catch (Exception e) {
                    new Json().put("topic", topic).put("error", String.valueOf(e)).emit();
                }
            }));
        }
        for (Future<?> f : work) {
            f.get();
        }
        p.shutdown();
        long sendMs = System.currentTimeMillis() - start;

        DefaultMQPullConsumer c = new DefaultMQPullConsumer(a.need("group") + "_pull");
        c.setNamesrvAddr(a.need("ns"));
        c.setMqClientApiTimeout(Args.CLIENT_API_TIMEOUT_MS);
        c.start();
        Set<String> received = ConcurrentHashMap.newKeySet();
        AtomicInteger queues = new AtomicInteger();
        AtomicInteger misplaced = new AtomicInteger();
        work.clear();
        for (int i = 0; i < n; i++) {
            final int idx = i;
            work.add(pool.submit(() -> {
                String topic = prefix + "_" + idx;
                try {
                    Set<MessageQueue> mqs = c.fetchSubscribeMessageQueues(topic);
                    queues.addAndGet(mqs.size());
                    for (MessageQueue mq : mqs) {
                        PullResult r = c.pull(mq, "*", 0, 32);
                        if (r.getPullStatus() != PullStatus.FOUND) {
                            continue;
                        }
                        for (MessageExt m : r.getMsgFoundList()) {
                            String body = new String(m.getBody(), StandardCharsets.UTF_8);
                            if (!body.equals("fan-" + idx) || !received.add(body)) {
                                misplaced.incrementAndGet();
                                new Json().put("topic", topic).put("unexpected", body).emit();
                            }
                        }
                    }
                } catch (Exception e) {
                    new Json().put("topic", topic).put("error", String.valueOf(e)).emit();
                }
            }));
        }
        for (Future<?> f : work) {
            f.get();
        }
        c.shutdown();
        pool.shutdown();
        new Json().put("sent", sent.get()).put("queues", queues.get()).put("received", received.size())
            .put("misplaced", misplaced.get()).put("sendMs", sendMs)
            .put("pullMs", System.currentTimeMillis() - start - sendMs).emit();
        return 0;
    }

    static void putException(Json j, Exception e) {
        if (e instanceof MQBrokerException) {
            MQBrokerException b = (MQBrokerException) e;
            j.put("exception", "MQBrokerException").put("code", b.getResponseCode())
                .put("message", String.valueOf(b.getErrorMessage()));
        } else if (e instanceof MQClientException) {
            MQClientException c = (MQClientException) e;
            j.put("exception", "MQClientException").put("code", c.getResponseCode())
                .put("message", String.valueOf(c.getErrorMessage()));
        } else {
            j.put("exception", e.getClass().getSimpleName()).put("message", String.valueOf(e));
        }
    }

    static int sql(Args a) throws Exception {
        String topic = a.need("topic");
        String expr = a.str("expr", "a > 0");
        DefaultMQProducer p = producer(a);
        for (String v : new String[] {"1", "0"}) {
            Message m = new Message(topic, ("sql-a" + v).getBytes(StandardCharsets.UTF_8));
            m.putUserProperty("a", v);
            sendOne(p, m, "send");
        }
        p.shutdown();

        DefaultMQPushConsumer push = new DefaultMQPushConsumer(a.need("group") + "_push");
        push.setNamesrvAddr(a.need("ns"));
        push.setMqClientApiTimeout(Args.CLIENT_API_TIMEOUT_MS);
        push.subscribe(topic, MessageSelector.bySql(expr));
        push.registerMessageListener((MessageListenerConcurrently) (msgs, ctx) -> {
            for (MessageExt m : msgs) {
                new Json().put("step", "pushed").put("body", new String(m.getBody(), StandardCharsets.UTF_8)).emit();
            }
            return ConsumeConcurrentlyStatus.CONSUME_SUCCESS;
        });
        Json started = new Json().put("step", "push");
        try {
            push.start();
            started.put("started", true);
        } catch (Exception e) {
            putException(started, e);
        }
        started.emit();
        push.shutdown();

        DefaultMQPullConsumer c = new DefaultMQPullConsumer(a.need("group") + "_pull");
        c.setNamesrvAddr(a.need("ns"));
        c.setMqClientApiTimeout(Args.CLIENT_API_TIMEOUT_MS);
        c.start();
        // The client refuses an SQL92 pull itself until a heartbeat answer has told it the
        // broker's version (its scheduler sends the first one a second after start): send it now.
        MQClientInstance factory = MQClientManager.getInstance().getOrCreateMQClientInstance(c);
        factory.updateTopicRouteInfoFromNameServer(topic);
        factory.sendHeartbeatToAllBrokerWithLock();
        for (MessageQueue mq : c.fetchSubscribeMessageQueues(topic)) {
            Json j = new Json().put("step", "pull").put("queueId", mq.getQueueId());
            try {
                PullResult r = c.pull(mq, MessageSelector.bySql(expr), 0, 32);
                j.put("status", r.getPullStatus().name())
                    .put("found", r.getMsgFoundList() == null ? 0 : r.getMsgFoundList().size());
            } catch (Exception e) {
                putException(j, e);
            }
            j.emit();
        }
        c.shutdown();
        return 0;
    }
}
