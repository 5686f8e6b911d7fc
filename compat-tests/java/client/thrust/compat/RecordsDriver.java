package thrust.compat;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.apache.rocketmq.client.consumer.DefaultMQPushConsumer;
import org.apache.rocketmq.client.consumer.listener.ConsumeConcurrentlyStatus;
import org.apache.rocketmq.client.consumer.listener.MessageListenerConcurrently;
import org.apache.rocketmq.client.producer.DefaultMQProducer;
import org.apache.rocketmq.client.producer.LocalTransactionState;
import org.apache.rocketmq.client.producer.RequestCallback;
import org.apache.rocketmq.client.producer.SendResult;
import org.apache.rocketmq.client.producer.TransactionListener;
import org.apache.rocketmq.client.producer.TransactionMQProducer;
import org.apache.rocketmq.client.utils.MessageUtil;
import org.apache.rocketmq.common.consumer.ConsumeFromWhere;
import org.apache.rocketmq.common.message.Message;
import org.apache.rocketmq.common.message.MessageAccessor;
import org.apache.rocketmq.common.message.MessageExt;

/**
 * The record-parity traffic: every kind of message a broker stores, sent once, so that two
 * brokers given the same run can have their CommitLog records compared. One JSON object per line.
 *
 * <pre>
 * traffic ns=ADDR topic=T group=G run=R [timeout_ms=120000]
 *   bodies R-plain, R-tag (TagA), R-keys (TagB, keys k1 k2), R-props (color, size), R-delay
 *   (delay level 1), R-timer (TIMER_DELAY_SEC=2), R-retry (answered RECONSUME_LATER once, next
 *   level 1), R-batch-0..2 (one SEND_BATCH_MESSAGE, TagC, keys batch-i), R-tx (committed
 *   transaction), R-rpc (request answered with "re:R-rpc"), all sync to topic T.
 *   Lines: {"sent":kind,...} per send, {"consumed":body,...} per delivery with the properties the
 *   consumer sees and getDelayTimeLevel(), {"reply":body,...} with the reply's properties;
 *   exits 0 once every body was consumed (R-retry twice) and the reply arrived.
 * </pre>
 */
public final class RecordsDriver {
    public static void main(String[] argv) {
        Modes.run(argv, Map.of("traffic", RecordsDriver::traffic));
    }

    static String body(Message m) {
        return new String(m.getBody(), StandardCharsets.UTF_8);
    }

    static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    static void sent(String kind, SendResult r) {
        new Json().put("sent", kind).put("status", r.getSendStatus().name())
            .put("queueId", r.getMessageQueue().getQueueId()).put("regionId", r.getRegionId())
            .put("traceOn", r.isTraceOn()).emit();
    }

    static int traffic(Args a) throws Exception {
        String ns = a.need("ns");
        String topic = a.need("topic");
        String group = a.need("group");
        String run = a.need("run");
        List<String> expected = new ArrayList<>(Arrays.asList("plain", "tag", "keys", "props", "delay",
            "timer", "retry", "batch-0", "batch-1", "batch-2", "tx", "rpc"));
        expected.replaceAll(k -> run + "-" + k);
        expected.add(run + "-retry#1");
        Set<String> consumed = ConcurrentHashMap.newKeySet();

        DefaultMQProducer replier = new DefaultMQProducer(group + "_r");
        replier.setNamesrvAddr(ns);
        replier.setMqClientApiTimeout(Args.CLIENT_API_TIMEOUT_MS);
        replier.setSendMsgTimeout(a.sendTimeoutMs());
        replier.start();
        DefaultMQPushConsumer c = new DefaultMQPushConsumer(group + "_c");
        c.setNamesrvAddr(ns);
        c.setMqClientApiTimeout(Args.CLIENT_API_TIMEOUT_MS);
        c.setConsumeFromWhere(ConsumeFromWhere.CONSUME_FROM_FIRST_OFFSET);
        c.subscribe(topic, "*");
        c.registerMessageListener((MessageListenerConcurrently) (msgs, ctx) -> {
            ConsumeConcurrentlyStatus status = ConsumeConcurrentlyStatus.CONSUME_SUCCESS;
            for (MessageExt m : msgs) {
                String b = body(m);
                new Json().put("consumed", b).put("topic", m.getTopic())
                    .put("reconsumeTimes", m.getReconsumeTimes()).put("delayTimeLevel", m.getDelayTimeLevel())
                    .put("props", m.getProperties()).emit();
                if (b.equals(run + "-retry") && m.getReconsumeTimes() == 0) {
                    status = ConsumeConcurrentlyStatus.RECONSUME_LATER;
                }
                consumed.add(m.getReconsumeTimes() > 0 ? b + "#" + m.getReconsumeTimes() : b);
                if (m.getProperty("REPLY_TO_CLIENT") != null && !consumed.contains(b + "#replied")) {
                    consumed.add(b + "#replied");
                    try {
                        replier.send(MessageUtil.createReplyMessage(m, bytes("re:" + b)));
                    } catch (Exception e) {
                        new Json().put("replyError", String.valueOf(e)).emit();
                    }
                }
            }
            ctx.setDelayLevelWhenNextConsume(1);
            return status;
        });
        c.start();

        DefaultMQProducer p = new DefaultMQProducer(group + "_p");
        p.setNamesrvAddr(ns);
        p.setMqClientApiTimeout(Args.CLIENT_API_TIMEOUT_MS);
        p.setSendMsgTimeout(a.sendTimeoutMs());
        p.start();
        sent("plain", p.send(new Message(topic, bytes(run + "-plain"))));
        sent("tag", p.send(new Message(topic, "TagA", bytes(run + "-tag"))));
        Message keyed = new Message(topic, "TagB", bytes(run + "-keys"));
        keyed.setKeys(Arrays.asList("k1", "k2"));
        sent("keys", p.send(keyed));
        Message props = new Message(topic, bytes(run + "-props"));
        props.putUserProperty("color", "blue");
        props.putUserProperty("size", "9");
        sent("props", p.send(props));
        Message delayed = new Message(topic, bytes(run + "-delay"));
        delayed.setDelayTimeLevel(1);
        sent("delay", p.send(delayed));
        Message timer = new Message(topic, bytes(run + "-timer"));
        MessageAccessor.putProperty(timer, "TIMER_DELAY_SEC", "2");
        sent("timer", p.send(timer));
        sent("retry", p.send(new Message(topic, bytes(run + "-retry"))));
        List<Message> batch = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            batch.add(new Message(topic, "TagC", "batch-" + i, bytes(run + "-batch-" + i)));
        }
        sent("batch", p.send(batch));

        TransactionMQProducer tx = new TransactionMQProducer(group + "_tx");
        tx.setNamesrvAddr(ns);
        tx.setMqClientApiTimeout(Args.CLIENT_API_TIMEOUT_MS);
        tx.setSendMsgTimeout(a.sendTimeoutMs());
        tx.setTransactionListener(new TransactionListener() {
            @Override
            public LocalTransactionState executeLocalTransaction(Message msg, Object arg) {
                return LocalTransactionState.COMMIT_MESSAGE;
            }

            @Override
            public LocalTransactionState checkLocalTransaction(MessageExt msg) {
                return LocalTransactionState.COMMIT_MESSAGE;
            }
        });
        tx.start();
        sent("tx", tx.sendMessageInTransaction(new Message(topic, bytes(run + "-tx")), null));

        // The broker pushes a reply over the requester's own connection, found through the
        // requester's heartbeat: send one now that the producer knows the broker.
        p.getDefaultMQProducerImpl().getmQClientFactory().sendHeartbeatToAllBrokerWithLock();
        CompletableFuture<Message> reply = new CompletableFuture<>();
        p.request(new Message(topic, bytes(run + "-rpc")), new RequestCallback() {
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
        }, 30000);
        Message r = reply.get(32000, TimeUnit.MILLISECONDS);
        new Json().put("reply", body(r)).put("topic", r.getTopic()).put("props", r.getProperties()).emit();

        long deadline = System.currentTimeMillis() + a.num("timeout_ms", 120000);
        while (!consumed.containsAll(expected) && System.currentTimeMillis() < deadline) {
            Thread.sleep(100);
        }
        List<String> missing = new ArrayList<>(expected);
        missing.removeAll(consumed);
        new Json().put("done", true).put("missing", String.join(",", missing)).emit();
        return missing.isEmpty() ? 0 : 2;
    }
}
