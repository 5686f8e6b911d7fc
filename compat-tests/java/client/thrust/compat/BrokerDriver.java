package thrust.compat;

import java.lang.reflect.InvocationTargetException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.rocketmq.client.consumer.DefaultLitePullConsumer;
import org.apache.rocketmq.client.consumer.DefaultMQPushConsumer;
import org.apache.rocketmq.client.consumer.listener.ConsumeConcurrentlyStatus;
import org.apache.rocketmq.client.consumer.listener.ConsumeOrderlyStatus;
import org.apache.rocketmq.client.consumer.listener.MessageListenerConcurrently;
import org.apache.rocketmq.client.consumer.listener.MessageListenerOrderly;
import org.apache.rocketmq.client.exception.MQBrokerException;
import org.apache.rocketmq.client.producer.DefaultMQProducer;
import org.apache.rocketmq.client.producer.LocalTransactionState;
import org.apache.rocketmq.client.producer.RequestCallback;
import org.apache.rocketmq.client.producer.SendResult;
import org.apache.rocketmq.client.producer.TransactionListener;
import org.apache.rocketmq.client.producer.TransactionMQProducer;
import org.apache.rocketmq.client.producer.TransactionSendResult;
import org.apache.rocketmq.client.utils.MessageUtil;
import org.apache.rocketmq.common.consumer.ConsumeFromWhere;
import org.apache.rocketmq.common.message.Message;
import org.apache.rocketmq.common.message.MessageAccessor;
import org.apache.rocketmq.common.message.MessageExt;

/**
 * Broker-feature scenarios for the unmodified Java client (compiled against 5.3.3 and 4.9.8).
 * One JSON object per line on stdout.
 *
 * <pre>
 * retry   ns=ADDR topic=T group=G expect=N [timeout_ms=90000]
 *         push consumer answering RECONSUME_LATER (delay level 1) to every first delivery;
 *         done when every body came back once with reconsumeTimes >= 1
 * orderly ns=ADDR topic=T group=G expect=N [timeout_ms=90000]
 *         MessageListenerOrderly; reports whether queue offsets were seen in order per queue
 * batch   ns=ADDR topic=T group=G count=N [tag=TagA]
 *         one DefaultMQProducer.send(List) of N messages (SEND_BATCH_MESSAGE), keys batch-i
 * litepull ns=ADDR topic=T group=G expect=N [timeout_ms=60000]
 *         DefaultLitePullConsumer (subscribe, auto commit); done after N messages
 * broadcast ns=ADDR topic=T group=G expect=N [timeout_ms=60000]
 *         BROADCASTING push consumer; every instance must receive all N messages
 * timer   ns=ADDR topic=T group=G count=N delay_sec=S [recall=I,J..] [bad_recall=true]
 *         producer setting TIMER_DELAY_SEC=S on every message (5.x timer messages), printing
 *         each send's recall handle; then recallMessage (5.3.2+ clients) of messages I, J.. by
 *         their handles; with bad_recall, two recalls the broker refuses: a handle naming
 *         another broker and one whose delivery time has passed
 * rpc     ns=ADDR topic=T group=G count=N
 *         request/reply: a responder consumer answers every request with "re:" + body;
 *         the requester's DefaultMQProducer.request(msg, callback, 10000) must get each answer
 * tx      ns=ADDR topic=T group=G count=N [linger_ms=20000]
 *         TransactionMQProducer: i%3==0 commit, 1 rollback, 2 unknown (commit on check)
 * </pre>
 */
public final class BrokerDriver {
    public static void main(String[] argv) {
        Modes.run(argv, Map.of(
            "retry", BrokerDriver::retry,
            "orderly", BrokerDriver::orderly,
            "tx", BrokerDriver::tx,
            "batch", BrokerDriver::batch,
            "rpc", BrokerDriver::rpc,
            "timer", BrokerDriver::timer,
            "litepull", BrokerDriver::litePull,
            "broadcast", BrokerDriver::broadcast));
    }

    static DefaultMQPushConsumer consumer(Args a) throws Exception {
        DefaultMQPushConsumer c = new DefaultMQPushConsumer(a.need("group"));
        c.setNamesrvAddr(a.need("ns"));
        c.setMqClientApiTimeout(Args.CLIENT_API_TIMEOUT_MS);
        c.setConsumeFromWhere(ConsumeFromWhere.CONSUME_FROM_FIRST_OFFSET);
        c.subscribe(a.need("topic"), "*");
        return c;
    }

    static String body(MessageExt m) {
        return new String(m.getBody(), StandardCharsets.UTF_8);
    }

    static int retry(Args a) throws Exception {
        DefaultMQPushConsumer c = consumer(a);
        int expect = a.num("expect", 1);
        Map<String, Integer> retried = new ConcurrentHashMap<>();
        CountDownLatch all = new CountDownLatch(1);
        c.registerMessageListener((MessageListenerConcurrently) (msgs, ctx) -> {
            ConsumeConcurrentlyStatus status = ConsumeConcurrentlyStatus.CONSUME_SUCCESS;
            for (MessageExt m : msgs) {
                new Json().put("body", body(m)).put("topic", m.getTopic())
                    .put("reconsumeTimes", m.getReconsumeTimes()).emit();
                if (m.getReconsumeTimes() == 0) {
                    status = ConsumeConcurrentlyStatus.RECONSUME_LATER;
                } else {
                    retried.put(body(m), m.getReconsumeTimes());
                }
            }
            ctx.setDelayLevelWhenNextConsume(1);
            if (retried.size() >= expect) {
                all.countDown();
            }
            return status;
        });
        c.start();
        new Json().put("ready", true).emit();
        boolean ok = all.await(a.num("timeout_ms", 90000), TimeUnit.MILLISECONDS);
        new Json().put("done", true).put("retried", retried.size()).emit();
        return ok ? 0 : 2;
    }

    static int orderly(Args a) throws Exception {
        DefaultMQPushConsumer c = consumer(a);
        int expect = a.num("expect", 1);
        Map<Integer, AtomicLong> last = new ConcurrentHashMap<>();
        AtomicLong seen = new AtomicLong();
        AtomicLong disorder = new AtomicLong();
        CountDownLatch all = new CountDownLatch(1);
        c.registerMessageListener((MessageListenerOrderly) (msgs, ctx) -> {
            for (MessageExt m : msgs) {
                long prev = last.computeIfAbsent(m.getQueueId(), q -> new AtomicLong(-1)).getAndSet(m.getQueueOffset());
                if (m.getQueueOffset() <= prev) {
                    disorder.incrementAndGet();
                }
                new Json().put("body", body(m)).put("queueId", m.getQueueId())
                    .put("queueOffset", m.getQueueOffset()).emit();
                if (seen.incrementAndGet() >= expect) {
                    all.countDown();
                }
            }
            return ConsumeOrderlyStatus.SUCCESS;
        });
        c.start();
        new Json().put("ready", true).emit();
        boolean ok = all.await(a.num("timeout_ms", 90000), TimeUnit.MILLISECONDS);
        new Json().put("done", true).put("received", seen.get()).put("disorder", disorder.get()).emit();
        return ok && disorder.get() == 0 ? 0 : 2;
    }

    static int tx(Args a) throws Exception {
        TransactionMQProducer p = new TransactionMQProducer(a.need("group"));
        p.setNamesrvAddr(a.need("ns"));
        p.setMqClientApiTimeout(Args.CLIENT_API_TIMEOUT_MS);
        p.setSendMsgTimeout(a.sendTimeoutMs());
        AtomicLong checks = new AtomicLong();
        // The answer to a check-back (END_TRANSACTION, oneway) is sent on this thread after the
        // listener returns: it must have been sent before the producer shuts down.
        ExecutorService checkThread = Executors.newSingleThreadExecutor();
        p.setExecutorService(checkThread);
        p.setTransactionListener(new TransactionListener() {
            @Override
            public LocalTransactionState executeLocalTransaction(Message msg, Object arg) {
                int i = (Integer) arg;
                if (i % 3 == 0) {
                    return LocalTransactionState.COMMIT_MESSAGE;
                }
                return i % 3 == 1 ? LocalTransactionState.ROLLBACK_MESSAGE : LocalTransactionState.UNKNOW;
            }

            @Override
            public LocalTransactionState checkLocalTransaction(MessageExt msg) {
                checks.incrementAndGet();
                new Json().put("check", body(msg)).put("topic", msg.getTopic()).emit();
                return LocalTransactionState.COMMIT_MESSAGE;
            }
        });
        p.start();
        int count = a.num("count", 3);
        for (int i = 0; i < count; i++) {
            Message msg = new Message(a.need("topic"), ("tx-" + i).getBytes(StandardCharsets.UTF_8));
            TransactionSendResult r = p.sendMessageInTransaction(msg, i);
            new Json().put("i", i).put("status", r.getSendStatus().name())
                .put("state", String.valueOf(r.getLocalTransactionState())).emit();
        }
        long deadline = System.currentTimeMillis() + a.num("linger_ms", 20000);
        long unknown = (count + 1) / 3;
        while (System.currentTimeMillis() < deadline && checks.get() < unknown) {
            Thread.sleep(200);
        }
        checkThread.shutdown();
        checkThread.awaitTermination(10, TimeUnit.SECONDS);
        p.shutdown();
        new Json().put("done", true).put("checks", checks.get()).emit();
        return 0;
    }

    static int batch(Args a) throws Exception {
        DefaultMQProducer p = new DefaultMQProducer(a.need("group"));
        p.setNamesrvAddr(a.need("ns"));
        p.setMqClientApiTimeout(Args.CLIENT_API_TIMEOUT_MS);
        p.setSendMsgTimeout(a.sendTimeoutMs());
        p.start();
        List<Message> msgs = new ArrayList<>();
        int count = a.num("count", 4);
        for (int i = 0; i < count; i++) {
            Message m = new Message(a.need("topic"), a.str("tag", "TagA"), "batch-" + i,
                ("batch-" + i).getBytes(StandardCharsets.UTF_8));
            msgs.add(m);
        }
        SendResult r = p.send(msgs);
        new Json().put("status", r.getSendStatus().name()).put("msgId", r.getMsgId())
            .put("offsetMsgId", r.getOffsetMsgId()).put("queueId", r.getMessageQueue().getQueueId())
            .put("queueOffset", r.getQueueOffset()).put("transactionId", r.getTransactionId())
            .emit();
        p.shutdown();
        return 0;
    }

    static int litePull(Args a) throws Exception {
        DefaultLitePullConsumer c = new DefaultLitePullConsumer(a.need("group"));
        c.setNamesrvAddr(a.need("ns"));
        c.setMqClientApiTimeout(Args.CLIENT_API_TIMEOUT_MS);
        c.setConsumeFromWhere(ConsumeFromWhere.CONSUME_FROM_FIRST_OFFSET);
        c.subscribe(a.need("topic"), "*");
        c.start();
        new Json().put("ready", true).emit();
        int expect = a.num("expect", 1);
        Set<String> seen = ConcurrentHashMap.newKeySet();
        long deadline = System.currentTimeMillis() + a.num("timeout_ms", 60000);
        while (seen.size() < expect && System.currentTimeMillis() < deadline) {
            for (MessageExt m : c.poll(1000)) {
                seen.add(body(m));
                new Json().put("body", body(m)).put("queueId", m.getQueueId())
                    .put("queueOffset", m.getQueueOffset()).emit();
            }
        }
        new Json().put("done", true).put("received", seen.size()).emit();
        return seen.size() >= expect ? 0 : 2;
    }

    static int broadcast(Args a) throws Exception {
        DefaultMQPushConsumer c = consumer(a);
        c.setMessageModel(broadcasting());
        int expect = a.num("expect", 1);
        Set<String> seen = ConcurrentHashMap.newKeySet();
        CountDownLatch all = new CountDownLatch(1);
        c.registerMessageListener((MessageListenerConcurrently) (msgs, ctx) -> {
            for (MessageExt m : msgs) {
                seen.add(body(m));
                new Json().put("body", body(m)).emit();
            }
            if (seen.size() >= expect) {
                all.countDown();
            }
            return ConsumeConcurrentlyStatus.CONSUME_SUCCESS;
        });
        c.start();
        new Json().put("ready", true).emit();
        boolean ok = all.await(a.num("timeout_ms", 60000), TimeUnit.MILLISECONDS);
        new Json().put("done", true).put("received", seen.size()).emit();
        return ok ? 0 : 2;
    }

    /** MessageModel moved packages between 4.9.8 and 5.x; look it up by name. */
    @SuppressWarnings({"unchecked", "rawtypes"})
    static <T extends Enum<T>> T broadcasting() throws ClassNotFoundException {
        Class cls;
        try {
            cls = Class.forName("org.apache.rocketmq.remoting.protocol.heartbeat.MessageModel");
        } catch (ClassNotFoundException e) {
            cls = Class.forName("org.apache.rocketmq.common.protocol.heartbeat.MessageModel");
        }
        return (T) Enum.valueOf(cls, "BROADCASTING");
    }

    static int timer(Args a) throws Exception {
        DefaultMQProducer p = new DefaultMQProducer(a.need("group"));
        p.setNamesrvAddr(a.need("ns"));
        p.setMqClientApiTimeout(Args.CLIENT_API_TIMEOUT_MS);
        p.setSendMsgTimeout(a.sendTimeoutMs());
        p.start();
        int count = a.num("count", 3);
        String topic = a.need("topic");
        List<String> handles = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            Message m = new Message(topic, ("timer-" + i).getBytes(StandardCharsets.UTF_8));
            MessageAccessor.putProperty(m, "TIMER_DELAY_SEC", a.need("delay_sec"));
            SendResult r = p.send(m);
            String handle = recallHandle(r);
            handles.add(handle);
            new Json().put("i", i).put("status", r.getSendStatus().name())
                .put("sentAt", System.currentTimeMillis()).put("recallHandle", handle).emit();
        }
        for (String i : a.str("recall", "").split(",")) {
            if (!i.isEmpty()) {
                recall(p, topic, handles.get(Integer.parseInt(i)), new Json().put("recall", i));
            }
        }
        if (a.str("bad_recall", "false").equals("true")) {
            // v1 <topic> <brokerName> <timestamp> <uniqId>
            String[] h = new String(Base64.getUrlDecoder().decode(handles.get(0)), StandardCharsets.UTF_8)
                .split(" ");
            recall(p, topic, handle(h[1], "no-such-broker", h[3], h[4]),
                new Json().put("recall", "other-broker"));
            String past = String.valueOf(System.currentTimeMillis() - 1000);
            recall(p, topic, handle(h[1], h[2], past, h[4]), new Json().put("recall", "past"));
        }
        p.shutdown();
        return 0;
    }

    /** {@code SendResult.getRecallHandle()} of a 5.3.2+ client; null on older ones. */
    static String recallHandle(SendResult r) throws Exception {
        try {
            return (String) SendResult.class.getMethod("getRecallHandle").invoke(r);
        } catch (NoSuchMethodException e) {
            return null;
        }
    }

    static String handle(String topic, String broker, String timestamp, String id) {
        String raw = String.join(" ", "v1", topic, broker, timestamp, id);
        return Base64.getUrlEncoder().encodeToString(raw.getBytes(StandardCharsets.UTF_8));
    }

    /** {@code DefaultMQProducer.recallMessage} (5.3.2+): the message id, or the broker's refusal. */
    static void recall(DefaultMQProducer p, String topic, String handle, Json out) throws Exception {
        try {
            Object id = DefaultMQProducer.class.getMethod("recallMessage", String.class, String.class)
                .invoke(p, topic, handle);
            out.put("msgId", String.valueOf(id));
        } catch (InvocationTargetException e) {
            if (e.getCause() instanceof MQBrokerException) {
                MQBrokerException b = (MQBrokerException) e.getCause();
                out.put("code", b.getResponseCode()).put("remark", b.getErrorMessage());
            } else {
                out.put("error", String.valueOf(e.getCause()));
            }
        }
        out.emit();
    }

    static int rpc(Args a) throws Exception {
        DefaultMQProducer replier = new DefaultMQProducer(a.need("group") + "_replier");
        replier.setNamesrvAddr(a.need("ns"));
        replier.setMqClientApiTimeout(Args.CLIENT_API_TIMEOUT_MS);
        replier.setSendMsgTimeout(a.sendTimeoutMs());
        replier.start();
        DefaultMQPushConsumer responder = consumer(a);
        responder.registerMessageListener((MessageListenerConcurrently) (msgs, ctx) -> {
            for (MessageExt m : msgs) {
                try {
                    Message reply = MessageUtil.createReplyMessage(m, ("re:" + body(m)).getBytes(StandardCharsets.UTF_8));
                    replier.send(reply);
                } catch (Exception e) {
                    new Json().put("replyError", String.valueOf(e)).emit();
                }
            }
            return ConsumeConcurrentlyStatus.CONSUME_SUCCESS;
        });
        responder.start();
        DefaultMQProducer requester = new DefaultMQProducer(a.need("group") + "_requester");
        requester.setNamesrvAddr(a.need("ns"));
        requester.setMqClientApiTimeout(Args.CLIENT_API_TIMEOUT_MS);
        requester.setSendMsgTimeout(a.sendTimeoutMs());
        requester.start();
        // Let both clients heartbeat, so the broker knows the requester's channel.
        Thread.sleep(3000);
        int count = a.num("count", 3);
        int ok = 0;
        for (int i = 0; i < count; i++) {
            // A request right after start can fail while the requester learns the route: retry.
            for (int attempt = 0; attempt < 3; attempt++) {
                Message req = new Message(a.need("topic"), ("rpc-" + i).getBytes(StandardCharsets.UTF_8));
                try {
                    Message r = request(requester, req, 10000);
                    String got = new String(r.getBody(), StandardCharsets.UTF_8);
                    new Json().put("i", i).put("reply", got).emit();
                    if (got.equals("re:rpc-" + i)) {
                        ok++;
                    }
                    break;
                } catch (Exception e) {
                    new Json().put("i", i).put("error", String.valueOf(e)).emit();
                }
            }
        }
        new Json().put("done", true).put("ok", ok).emit();
        return ok == count ? 0 : 2;
    }

    /**
     * One request, answered through the callback API. The synchronous {@code request(msg, timeout)}
     * of the 5.3.3 client releases its wait as soon as the request is stored, so it reports a
     * timeout unless the reply beat the send acknowledgement; its callback variant calls back once
     * with {@code null} at that moment and again with the reply. Waiting here for the first
     * non-null reply works on 4.9.8 and 5.3.3 alike.
     */
    static Message request(DefaultMQProducer p, Message req, long timeoutMs) throws Exception {
        CompletableFuture<Message> reply = new CompletableFuture<>();
        p.request(req, new RequestCallback() {
            @Override
            public void onSuccess(Message m) {
                if (m != null) {
                    reply.complete(m);
                }
            }

            @Override
            public void onException(Throwable e) {
                reply.completeExceptionally(e);
            }
        }, timeoutMs);
        return reply.get(timeoutMs + 2000, TimeUnit.MILLISECONDS);
    }
}
