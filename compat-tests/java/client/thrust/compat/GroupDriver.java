package thrust.compat;

import java.io.File;
import java.lang.reflect.Field;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.locks.Lock;
import org.apache.rocketmq.client.consumer.AllocateMessageQueueStrategy;
import org.apache.rocketmq.client.consumer.DefaultMQPullConsumer;
import org.apache.rocketmq.client.consumer.DefaultMQPushConsumer;
import org.apache.rocketmq.client.consumer.PullResult;
import org.apache.rocketmq.client.consumer.listener.ConsumeConcurrentlyStatus;
import org.apache.rocketmq.client.consumer.listener.MessageListenerConcurrently;
import org.apache.rocketmq.client.consumer.rebalance.AllocateMessageQueueAveragely;
import org.apache.rocketmq.client.impl.factory.MQClientInstance;
import org.apache.rocketmq.common.consumer.ConsumeFromWhere;
import org.apache.rocketmq.common.message.MessageExt;
import org.apache.rocketmq.common.message.MessageQueue;

/**
 * Consumer-group scenarios for the unmodified Java client (compiled against 5.3.3 and 4.9.8).
 * One JSON object per line on stdout.
 *
 * <pre>
 * member ns=ADDR topic=T group=G stop_file=PATH [expr=*] [timeout_ms=170000]
 *        clustering DefaultMQPushConsumer (from first offset). Prints {"ready":true,"pid":P} after start,
 *        {"alloc":"0,3,5","cids":N,"cid":ID} for every allocation of T's queues (the default
 *        AllocateMessageQueueAveragely, observed through a wrapping strategy), one line per
 *        received message, and {"stopped":true} after consumer.shutdown(), which it calls as soon
 *        as stop_file exists (exit 0), or at the timeout (exit 2).
 * pull   ns=ADDR topic=T group=G expr=E [commit=true]
 *        DefaultMQPullConsumer: queues, min/max and stored offsets; every queue walked from 0
 *        with pullBlockIfNotFound (32 a pull) and again with pull (1 a pull); pulls at and beyond
 *        the max offset; with commit=true, updateConsumeOffset(max - queueId % 2) + persist, then
 *        waits until the broker returns the committed offsets.
 * race   ns=ADDR topic=T group=G release_file=PATH [timeout_ms=120000]
 *        clustering DefaultMQPushConsumer (from first offset) whose first rebalance loses the
 *        client's heartbeat race: right after start() a thread takes the client's heartbeat lock
 *        (MQClientInstance.lockHeartbeat, which the client's periodic heartbeat holds when it fires
 *        at the moment of the first rebalance), so the heartbeat that rebalance sends with its new
 *        subscription version is skipped ("lock heartBeat, but failed"). Prints {"raced":true}
 *        once the rebalance has taken queues; keeps the lock until release_file exists, then
 *        releases it, sends one heartbeat (sendHeartbeatToAllBrokerWithLock) and prints
 *        {"released":true}; one line per received message; exits 0 once release_file holds
 *        "stop", 2 at the timeout.
 * </pre>
 */
public final class GroupDriver {
    public static void main(String[] argv) {
        Modes.run(argv, Map.of(
            "member", GroupDriver::member,
            "race", GroupDriver::race,
            "pull", GroupDriver::pull));
    }

    static String body(MessageExt m) {
        return new String(m.getBody(), StandardCharsets.UTF_8);
    }

    /** The client's default strategy, reporting each result for the user topic (not %RETRY%). */
    static final class ReportingAllocation implements AllocateMessageQueueStrategy {
        private final AllocateMessageQueueStrategy inner = new AllocateMessageQueueAveragely();

        @Override
        public List<MessageQueue> allocate(String group, String cid, List<MessageQueue> all, List<String> cids) {
            List<MessageQueue> mine = inner.allocate(group, cid, all, cids);
            if (!all.isEmpty() && !all.get(0).getTopic().startsWith("%RETRY%")) {
                Set<Integer> ids = new TreeSet<>();
                for (MessageQueue mq : mine) {
                    ids.add(mq.getQueueId());
                }
                StringBuilder sb = new StringBuilder();
                for (Integer id : ids) {
                    sb.append(sb.length() == 0 ? "" : ",").append(id);
                }
                new Json().put("alloc", sb.toString()).put("cids", cids.size()).put("cid", cid).emit();
            }
            return mine;
        }

        @Override
        public String getName() {
            return inner.getName();
        }
    }

    static int member(Args a) throws Exception {
        DefaultMQPushConsumer c = new DefaultMQPushConsumer(a.need("group"));
        c.setNamesrvAddr(a.need("ns"));
        c.setMqClientApiTimeout(Args.CLIENT_API_TIMEOUT_MS);
        c.setConsumeFromWhere(ConsumeFromWhere.CONSUME_FROM_FIRST_OFFSET);
        c.setAllocateMessageQueueStrategy(new ReportingAllocation());
        c.subscribe(a.need("topic"), a.str("expr", "*"));
        c.registerMessageListener((MessageListenerConcurrently) (msgs, ctx) -> {
            for (MessageExt m : msgs) {
                new Json().put("body", body(m)).put("tags", m.getTags()).put("msgId", m.getMsgId())
                    .put("queueId", m.getQueueId()).put("queueOffset", m.getQueueOffset()).emit();
            }
            return ConsumeConcurrentlyStatus.CONSUME_SUCCESS;
        });
        c.start();
        new Json().put("ready", true).put("pid", ProcessHandle.current().pid()).emit();
        File stop = new File(a.need("stop_file"));
        long deadline = System.currentTimeMillis() + a.num("timeout_ms", 170000);
        while (!stop.exists()) {
            if (System.currentTimeMillis() > deadline) {
                new Json().put("error", "no stop file before the timeout").emit();
                return 2;
            }
            Thread.sleep(100);
        }
        c.shutdown();
        new Json().put("stopped", true).emit();
        return 0;
    }

    static int race(Args a) throws Exception {
        DefaultMQPushConsumer c = new DefaultMQPushConsumer(a.need("group"));
        c.setNamesrvAddr(a.need("ns"));
        c.setMqClientApiTimeout(Args.CLIENT_API_TIMEOUT_MS);
        c.setConsumeFromWhere(ConsumeFromWhere.CONSUME_FROM_FIRST_OFFSET);
        c.subscribe(a.need("topic"), "*");
        c.registerMessageListener((MessageListenerConcurrently) (msgs, ctx) -> {
            for (MessageExt m : msgs) {
                new Json().put("body", body(m)).put("queueId", m.getQueueId()).emit();
            }
            return ConsumeConcurrentlyStatus.CONSUME_SUCCESS;
        });
        File release = new File(a.need("release_file"));
        long deadline = System.currentTimeMillis() + a.num("timeout_ms", 120000);
        c.start();
        MQClientInstance factory = c.getDefaultMQPushConsumerImpl().getmQClientFactory();
        Field f = MQClientInstance.class.getDeclaredField("lockHeartbeat");
        f.setAccessible(true);
        Lock heartbeat = (Lock) f.get(factory);
        CountDownLatch held = new CountDownLatch(1);
        boolean[] late = new boolean[1];
        Thread holder = new Thread(() -> {
            heartbeat.lock();
            // The race needs the lock taken before the first rebalance (1 s after the client starts).
            late[0] = !c.getDefaultMQPushConsumerImpl().getRebalanceImpl().getProcessQueueTable().isEmpty();
            held.countDown();
            if (late[0]) {
                heartbeat.unlock();
                return;
            }
            try {
                while (c.getDefaultMQPushConsumerImpl().getRebalanceImpl().getProcessQueueTable().isEmpty()) {
                    Thread.sleep(10);
                }
                new Json().put("raced", true).emit();
                while (!release.exists() && System.currentTimeMillis() < deadline) {
                    Thread.sleep(50);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } finally {
                heartbeat.unlock();
            }
        });
        holder.start();
        held.await();
        if (late[0]) {
            new Json().put("error", "the first rebalance ran before the heartbeat lock was taken").emit();
            return 2;
        }
        new Json().put("ready", true).put("pid", ProcessHandle.current().pid()).emit();
        holder.join();
        factory.sendHeartbeatToAllBrokerWithLock();
        new Json().put("released", true).emit();
        while (System.currentTimeMillis() < deadline) {
            if (release.exists() && new String(java.nio.file.Files.readAllBytes(release.toPath()),
                StandardCharsets.UTF_8).trim().equals("stop")) {
                c.shutdown();
                new Json().put("stopped", true).emit();
                return 0;
            }
            Thread.sleep(100);
        }
        new Json().put("error", "no stop before the timeout").emit();
        return 2;
    }

    static Json result(String kind, MessageQueue mq, long from, PullResult r) {
        return new Json().put(kind, mq.getQueueId()).put("from", from).put("status", r.getPullStatus().name())
            .put("next", r.getNextBeginOffset()).put("min", r.getMinOffset()).put("max", r.getMaxOffset())
            .put("count", r.getMsgFoundList() == null ? 0 : r.getMsgFoundList().size());
    }

    static void printMessages(String walk, PullResult r) {
        if (r.getMsgFoundList() == null) {
            return;
        }
        for (MessageExt m : r.getMsgFoundList()) {
            new Json().put("msg", body(m)).put("walk", walk).put("queue", m.getQueueId())
                .put("offset", m.getQueueOffset()).put("tags", m.getTags()).emit();
        }
    }

    /** Walks one queue from 0 to its max offset; blocking pulls never wait, messages exist below max. */
    static void walk(DefaultMQPullConsumer c, MessageQueue mq, String expr, long max, boolean block) throws Exception {
        String kind = block ? "block" : "step";
        long from = 0;
        while (from < max) {
            PullResult r = block ? c.pullBlockIfNotFound(mq, expr, from, 32) : c.pull(mq, expr, from, 1);
            result(kind, mq, from, r).emit();
            printMessages(kind, r);
            if (r.getNextBeginOffset() <= from) {
                throw new IllegalStateException("no progress on " + mq + " at " + from);
            }
            from = r.getNextBeginOffset();
        }
    }

    static int pull(Args a) throws Exception {
        DefaultMQPullConsumer c = new DefaultMQPullConsumer(a.need("group"));
        c.setNamesrvAddr(a.need("ns"));
        c.setMqClientApiTimeout(Args.CLIENT_API_TIMEOUT_MS);
        c.start();
        String expr = a.need("expr");
        List<MessageQueue> mqs = new ArrayList<>(c.fetchSubscribeMessageQueues(a.need("topic")));
        mqs.sort(null);
        new Json().put("queues", mqs.size()).emit();
        for (MessageQueue mq : mqs) {
            long max = c.maxOffset(mq);
            new Json().put("queue", mq.getQueueId()).put("min", c.minOffset(mq)).put("max", max)
                .put("stored", c.fetchConsumeOffset(mq, true)).emit();
            walk(c, mq, expr, max, true);
            walk(c, mq, expr, max, false);
            result("at_max", mq, max, c.pull(mq, expr, max, 32)).emit();
            result("beyond", mq, max + 10, c.pull(mq, expr, max + 10, 32)).emit();
        }
        if (Boolean.parseBoolean(a.str("commit", "false"))) {
            for (MessageQueue mq : mqs) {
                long offset = c.maxOffset(mq) - mq.getQueueId() % 2;
                c.updateConsumeOffset(mq, offset);
                c.persist(mq);
                new Json().put("committed", mq.getQueueId()).put("offset", offset).emit();
            }
            // persist is oneway: read back until the broker has applied every commit.
            long deadline = System.currentTimeMillis() + 20000;
            for (MessageQueue mq : mqs) {
                long want = c.maxOffset(mq) - mq.getQueueId() % 2;
                while (c.fetchConsumeOffset(mq, true) != want && System.currentTimeMillis() < deadline) {
                    Thread.sleep(100);
                }
                new Json().put("read_back", mq.getQueueId()).put("offset", c.fetchConsumeOffset(mq, true)).emit();
            }
        }
        c.shutdown();
        new Json().put("done", true).emit();
        return 0;
    }
}
