package thrust.compat;

import java.lang.reflect.Field;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.rocketmq.client.ClientConfig;
import org.apache.rocketmq.client.consumer.DefaultMQPullConsumer;
import org.apache.rocketmq.client.consumer.DefaultMQPushConsumer;
import org.apache.rocketmq.client.consumer.PullResult;
import org.apache.rocketmq.client.consumer.rebalance.AllocateMessageQueueAveragely;
import org.apache.rocketmq.client.exception.MQBrokerException;
import org.apache.rocketmq.client.exception.MQClientException;
import org.apache.rocketmq.client.consumer.listener.ConsumeConcurrentlyStatus;
import org.apache.rocketmq.client.consumer.listener.MessageListenerConcurrently;
import org.apache.rocketmq.client.producer.DefaultMQProducer;
import org.apache.rocketmq.client.producer.SendCallback;
import org.apache.rocketmq.client.producer.SendResult;
import org.apache.rocketmq.common.consumer.ConsumeFromWhere;
import org.apache.rocketmq.common.message.Message;
import org.apache.rocketmq.common.message.MessageClientExt;
import org.apache.rocketmq.common.message.MessageExt;
import org.apache.rocketmq.common.message.MessageQueue;
import org.apache.rocketmq.remoting.RPCHook;

/**
 * Drives the unmodified Java client (compiled and run against rocketmq-client 5.3.3 and 4.9.8).
 * Output: one JSON object per line on stdout.
 *
 * <pre>
 * produce ns=ADDR[;ADDR] topic=T group=G count=N [mode=sync|async|oneway] [tag=TagA] [keys=k1 k2]
 *         [prop.NAME=VALUE ...] [body=prefix] [await_route=true]
 * consume ns=ADDR topic=T group=G expect=N [timeout_ms=60000] [from=first|last] [expr=*] [linger_ms=1500]
 *         [heartbeat_v2=true] [heartbeat_ms=30000]
 * roundtrip ns=ADDR topic=T group=G count=N expect=N   (produce, then consume, in one JVM)
 * pull    ns=ADDR topic=T group=G [queue=0]   (one pull of queue 0 from offset 0: found or the broker's code)
 * </pre>
 * {@code ak=KEY sk=SECRET} on any mode signs the client's requests with the client's
 * {@code AclClientRPCHook}. An error line carries the exception and its cause.
 * {@code await_route=true} looks the topic's route up (up to 60 s) before the first send: that
 * send's own lookup waits at most 3 s for the client's NameServer lock, which the start-up route
 * task holds through its first query (a TLS handshake, a cold JVM), so on a loaded machine it can
 * fail with "No route info" though the route is there.
 * {@code heartbeat_v2=true} (5.x clients only) turns on the client's heartbeat V2; the final line
 * then lists the brokers that acknowledged V2 ({@code v2Brokers}).
 */
public final class ClientDriver {
    public static void main(String[] argv) {
        Modes.run(argv, Map.of(
            "produce", ClientDriver::produce,
            "consume", ClientDriver::consume,
            "roundtrip", a -> produce(a) == 0 ? consume(a) : 2,
            "pull", ClientDriver::pull));
    }

    /**
     * The client's {@code AclClientRPCHook} for ak=/sk=, or null. Built by reflection: the hook
     * lives in rocketmq-client from 5.x on and in rocketmq-acl before, and this class compiles
     * against both.
     */
    static RPCHook hook(Args a) throws Exception {
        String ak = a.str("ak", "");
        if (ak.isEmpty()) {
            return null;
        }
        Class<?> creds = Class.forName("org.apache.rocketmq.acl.common.SessionCredentials");
        Object c = creds.getConstructor(String.class, String.class).newInstance(ak, a.need("sk"));
        return (RPCHook) Class.forName("org.apache.rocketmq.acl.common.AclClientRPCHook")
            .getConstructor(creds).newInstance(c);
    }

    static Json error(Throwable e) {
        return new Json().put("error", String.valueOf(e)).put("cause", String.valueOf(e.getCause()));
    }

    static void fail(String why) {
        new Json().put("error", why).emit();
        Runtime.getRuntime().halt(1);
    }

    static Message message(Args a, int i) {
        String body = a.str("body", "java") + "-" + i;
        Message msg = new Message(a.need("topic"), body.getBytes(StandardCharsets.UTF_8));
        String tag = a.str("tag", "");
        if (!tag.isEmpty()) {
            msg.setTags(tag);
        }
        String keys = a.str("keys", "");
        if (!keys.isEmpty()) {
            msg.setKeys(keys);
        }
        for (Map.Entry<String, String> e : a.map.entrySet()) {
            if (e.getKey().startsWith("prop.")) {
                msg.putUserProperty(e.getKey().substring(5), e.getValue());
            }
        }
        return msg;
    }

    static Json result(int i, SendResult r) {
        return new Json().put("i", i).put("status", r.getSendStatus().name()).put("msgId", r.getMsgId())
            .put("offsetMsgId", r.getOffsetMsgId()).put("broker", r.getMessageQueue().getBrokerName())
            .put("queueId", r.getMessageQueue().getQueueId()).put("queueOffset", r.getQueueOffset());
    }

    static int produce(Args a) throws Exception {
        DefaultMQProducer p = new DefaultMQProducer(a.need("group"), hook(a));
        p.setNamesrvAddr(a.need("ns"));
        p.setMqClientApiTimeout(Args.CLIENT_API_TIMEOUT_MS);
        p.setInstanceName("driver-" + ProcessHandle.current().pid());
        p.setSendMsgTimeout(a.sendTimeoutMs());
        p.start();
        if (a.str("await_route", "false").equals("true")) {
            awaitRoute(p, a.need("topic"));
        }
        int count = a.num("count", 1);
        String mode = a.str("mode", "sync");
        AtomicInteger failed = new AtomicInteger();
        CountDownLatch pending = new CountDownLatch(mode.equals("async") ? count : 0);
        for (int i = 0; i < count; i++) {
            Message msg = message(a, i);
            final int idx = i;
            try {
                switch (mode) {
                    case "sync":
                        result(i, p.send(msg)).emit();
                        break;
                    case "async":
                        p.send(msg, new SendCallback() {
                            @Override
                            public void onSuccess(SendResult r) {
                                result(idx, r).emit();
                                pending.countDown();
                            }

                            @Override
                            public void onException(Throwable e) {
                                failed.incrementAndGet();
                                error(e).put("i", idx).emit();
                                pending.countDown();
                            }
                        });
                        break;
                    case "oneway":
                        p.sendOneway(msg);
                        break;
                    default:
                        fail("unknown send mode " + mode);
                }
            } catch (Exception e) {
                failed.incrementAndGet();
                if (mode.equals("async")) {
                    pending.countDown();
                }
                error(e).put("i", i).emit();
            }
        }
        pending.await(60, TimeUnit.SECONDS);
        p.shutdown();
        new Json().put("done", true).put("sent", count - failed.get()).put("failed", failed.get()).emit();
        return failed.get() == 0 ? 0 : 2;
    }

    static void awaitRoute(DefaultMQProducer p, String topic) throws Exception {
        long deadline = System.currentTimeMillis() + 60_000;
        while (true) {
            try {
                if (!p.fetchPublishMessageQueues(topic).isEmpty()) {
                    return;
                }
            } catch (MQClientException e) {
                if (System.currentTimeMillis() > deadline) {
                    throw e;
                }
            }
            Thread.sleep(200);
        }
    }

    static int consume(Args a) throws Exception {
        DefaultMQPushConsumer c = new DefaultMQPushConsumer(a.need("group"), hook(a),
            new AllocateMessageQueueAveragely());
        c.setNamesrvAddr(a.need("ns"));
        c.setMqClientApiTimeout(Args.CLIENT_API_TIMEOUT_MS);
        c.setConsumeFromWhere("last".equals(a.str("from", "first"))
            ? ConsumeFromWhere.CONSUME_FROM_LAST_OFFSET : ConsumeFromWhere.CONSUME_FROM_FIRST_OFFSET);
        c.subscribe(a.need("topic"), a.str("expr", "*"));
        c.setHeartbeatBrokerInterval(a.num("heartbeat_ms", 30000));
        boolean v2 = Boolean.parseBoolean(a.str("heartbeat_v2", "false"));
        if (v2) {
            // ClientConfig.setUseHeartbeatV2 exists from 5.x on: reflection keeps 4.9.8 compiling.
            ClientConfig.class.getMethod("setUseHeartbeatV2", boolean.class).invoke(c, true);
        }
        int expect = a.num("expect", 1);
        Set<String> seen = ConcurrentHashMap.newKeySet();
        CountDownLatch all = new CountDownLatch(1);
        c.registerMessageListener((MessageListenerConcurrently) (msgs, ctx) -> {
            for (MessageExt m : msgs) {
                String offsetMsgId = m instanceof MessageClientExt ? ((MessageClientExt) m).getOffsetMsgId() : null;
                new Json().put("topic", m.getTopic()).put("body", new String(m.getBody(), StandardCharsets.UTF_8))
                    .put("tags", m.getTags()).put("keys", m.getKeys()).put("msgId", m.getMsgId())
                    .put("offsetMsgId", offsetMsgId).put("queueId", m.getQueueId())
                    .put("queueOffset", m.getQueueOffset()).put("reconsumeTimes", m.getReconsumeTimes())
                    .put("props", m.getProperties()).emit();
                seen.add(m.getMsgId());
                if (seen.size() >= expect) {
                    all.countDown();
                }
            }
            return ConsumeConcurrentlyStatus.CONSUME_SUCCESS;
        });
        c.start();
        new Json().put("ready", true).emit();
        boolean ok = all.await(a.num("timeout_ms", 60000), TimeUnit.MILLISECONDS);
        if (ok) {
            // Stay a moment longer so duplicates would show up in the output.
            Thread.sleep(a.num("linger_ms", 1500));
        }
        Json done = new Json().put("done", true).put("received", seen.size());
        if (v2) {
            done.put("v2Brokers", String.valueOf(v2Brokers(c)));
        }
        done.emit();
        return ok ? 0 : 2;
    }

    static int pull(Args a) throws Exception {
        DefaultMQPullConsumer c = new DefaultMQPullConsumer(a.need("group"), hook(a));
        c.setNamesrvAddr(a.need("ns"));
        c.setInstanceName("driver-" + ProcessHandle.current().pid());
        c.start();
        int queue = a.num("queue", 0);
        MessageQueue mq = null;
        for (MessageQueue q : c.fetchSubscribeMessageQueues(a.need("topic"))) {
            if (q.getQueueId() == queue) {
                mq = q;
            }
        }
        try {
            PullResult r = c.pull(mq, "*", 0, 32, Args.CLIENT_API_TIMEOUT_MS);
            new Json().put("status", r.getPullStatus().name())
                .put("found", r.getMsgFoundList() == null ? 0 : r.getMsgFoundList().size()).emit();
            return 0;
        } catch (MQBrokerException e) {
            new Json().put("code", e.getResponseCode()).put("remark", e.getErrorMessage()).emit();
            return 2;
        } finally {
            c.shutdown();
        }
    }

    /** The client's set of broker addresses that answered IS_SUPPORT_HEART_BEAT_V2=true. */
    static Object v2Brokers(DefaultMQPushConsumer c) throws Exception {
        Object factory = c.getDefaultMQPushConsumerImpl().getClass().getMethod("getmQClientFactory")
            .invoke(c.getDefaultMQPushConsumerImpl());
        Field f = factory.getClass().getDeclaredField("brokerSupportV2HeartbeatSet");
        f.setAccessible(true);
        synchronized (f.get(factory)) {
            return new java.util.TreeSet<>((Set<?>) f.get(factory));
        }
    }
}
