package thrust.compat;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.rocketmq.client.consumer.DefaultMQPushConsumer;
import org.apache.rocketmq.client.consumer.listener.ConsumeOrderlyStatus;
import org.apache.rocketmq.client.consumer.listener.MessageListenerOrderly;
import org.apache.rocketmq.client.producer.DefaultMQProducer;
import org.apache.rocketmq.client.producer.MessageQueueSelector;
import org.apache.rocketmq.client.producer.SendResult;
import org.apache.rocketmq.common.consumer.ConsumeFromWhere;
import org.apache.rocketmq.common.message.Message;
import org.apache.rocketmq.common.message.MessageExt;
import org.apache.rocketmq.common.message.MessageQueue;

/**
 * Ordered messaging with the unmodified Java client (5.3.3 and 4.9.8): a producer that routes
 * each order to one queue with a {@link MessageQueueSelector}, and orderly push consumers.
 * One JSON object per line on stdout.
 *
 * <pre>
 * send    ns=ADDR topic=T group=G orders=K steps=N
 *         for step in 0..N, for order in 0..K: body "o&lt;order&gt;-&lt;step&gt;", queue = order % queues
 * consume ns=ADDR topic=T group=G stop_file=PATH [timeout_ms=120000]
 *         MessageListenerOrderly; prints every message; shuts down when PATH exists
 * </pre>
 */
public final class OrderedDriver {
    public static void main(String[] argv) {
        Modes.run(argv, Map.of(
            "send", OrderedDriver::send,
            "consume", OrderedDriver::consume));
    }

    static int send(Args a) throws Exception {
        DefaultMQProducer p = new DefaultMQProducer(a.need("group"));
        p.setNamesrvAddr(a.need("ns"));
        p.setMqClientApiTimeout(Args.CLIENT_API_TIMEOUT_MS);
        p.setSendMsgTimeout(a.sendTimeoutMs());
        p.setInstanceName("ordered-" + ProcessHandle.current().pid());
        p.start();
        MessageQueueSelector byOrder = (List<MessageQueue> mqs, Message msg, Object arg) ->
            mqs.get((Integer) arg % mqs.size());
        int orders = a.num("orders", 4);
        int steps = a.num("steps", 5);
        for (int step = 0; step < steps; step++) {
            for (int order = 0; order < orders; order++) {
                String body = "o" + order + "-" + step;
                Message msg = new Message(a.need("topic"), "TagA", body.getBytes(StandardCharsets.UTF_8));
                SendResult r = p.send(msg, byOrder, order);
                new Json().put("body", body).put("status", r.getSendStatus().name())
                    .put("queueId", r.getMessageQueue().getQueueId()).emit();
            }
        }
        p.shutdown();
        return 0;
    }

    static int consume(Args a) throws Exception {
        DefaultMQPushConsumer c = new DefaultMQPushConsumer(a.need("group"));
        c.setNamesrvAddr(a.need("ns"));
        c.setMqClientApiTimeout(Args.CLIENT_API_TIMEOUT_MS);
        c.setInstanceName("ordered-" + ProcessHandle.current().pid());
        c.setConsumeFromWhere(ConsumeFromWhere.CONSUME_FROM_FIRST_OFFSET);
        c.subscribe(a.need("topic"), "*");
        c.setAllocateMessageQueueStrategy(new GroupDriver.ReportingAllocation());
        AtomicLong seen = new AtomicLong();
        c.registerMessageListener((MessageListenerOrderly) (msgs, ctx) -> {
            for (MessageExt m : msgs) {
                new Json().put("body", new String(m.getBody(), StandardCharsets.UTF_8))
                    .put("queueId", m.getQueueId()).put("queueOffset", m.getQueueOffset())
                    .put("at", System.nanoTime()).emit();
                seen.incrementAndGet();
            }
            return ConsumeOrderlyStatus.SUCCESS;
        });
        c.start();
        new Json().put("ready", true).emit();
        File stop = new File(a.need("stop_file"));
        long deadline = System.currentTimeMillis() + a.num("timeout_ms", 120000);
        while (!stop.exists() && System.currentTimeMillis() < deadline) {
            Thread.sleep(100);
        }
        c.shutdown();
        new Json().put("done", true).put("received", seen.get()).emit();
        return stop.exists() ? 0 : 2;
    }
}
