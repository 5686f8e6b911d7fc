package thrust.compat;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.rocketmq.client.consumer.DefaultMQPushConsumer;
import org.apache.rocketmq.client.consumer.listener.ConsumeConcurrentlyStatus;
import org.apache.rocketmq.client.consumer.listener.MessageListenerConcurrently;
import org.apache.rocketmq.client.producer.DefaultMQProducer;
import org.apache.rocketmq.client.producer.MessageQueueSelector;
import org.apache.rocketmq.client.producer.SendResult;
import org.apache.rocketmq.common.consumer.ConsumeFromWhere;
import org.apache.rocketmq.common.message.Message;
import org.apache.rocketmq.common.message.MessageExt;
import org.apache.rocketmq.common.message.MessageQueue;

/**
 * The traffic the mqadmin parity scenario examines, the same on every broker: every placement is
 * chosen (message i goes to queue i % queues through a selector), so offsets, queues and bodies
 * do not depend on a random start queue. One JSON object per line on stdout.
 *
 * <pre>
 * online ns=ADDR topic=T pgroup=PG cgroup=CG count=N stop_file=PATH [delay_level=2] [timeout_ms=600000]
 *        producer PG and push consumer CG in one client instance named "adm": N sync sends
 *        (body adm-i, tag TagA/TagB alternating, keys key-i, property origin=adm), then one
 *        message with delay level delay_level to queue 0; the consumer consumes all N+1 and
 *        reports "consumed"; both stay online until stop_file exists
 * </pre>
 */
public final class AdminDriver {
    public static void main(String[] argv) {
        Modes.run(argv, Map.of("online", AdminDriver::online));
    }

    static int online(Args a) throws Exception {
        String topic = a.need("topic");
        int count = a.num("count", 8);
        DefaultMQProducer p = new DefaultMQProducer(a.need("pgroup"));
        p.setNamesrvAddr(a.need("ns"));
        p.setInstanceName("adm");
        // A busy 2-core machine starting JVMs can stall a broker for seconds.
        p.setSendMsgTimeout(30000);
        p.start();
        MessageQueueSelector byIndex = (List<MessageQueue> mqs, Message msg, Object arg) ->
            mqs.get((Integer) arg % mqs.size());
        for (int i = 0; i < count; i++) {
            Message msg = new Message(topic, i % 2 == 0 ? "TagA" : "TagB", "key-" + i,
                ("adm-" + i).getBytes(StandardCharsets.UTF_8));
            msg.putUserProperty("origin", "adm");
            emit(i, p.send(msg, byIndex, i));
        }
        Message delayed = new Message(topic, "TagD", "key-delayed", "adm-delayed".getBytes(StandardCharsets.UTF_8));
        delayed.setDelayTimeLevel(a.num("delay_level", 2));
        emit(count, p.send(delayed, byIndex, 0));

        DefaultMQPushConsumer c = new DefaultMQPushConsumer(a.need("cgroup"));
        c.setNamesrvAddr(a.need("ns"));
        c.setInstanceName("adm");
        c.setConsumeFromWhere(ConsumeFromWhere.CONSUME_FROM_FIRST_OFFSET);
        c.subscribe(topic, "*");
        Set<String> seen = ConcurrentHashMap.newKeySet();
        c.registerMessageListener((MessageListenerConcurrently) (msgs, ctx) -> {
            for (MessageExt m : msgs) {
                if (seen.add(new String(m.getBody(), StandardCharsets.UTF_8)) && seen.size() == count + 1) {
                    new Json().put("consumed", seen.size()).emit();
                }
            }
            return ConsumeConcurrentlyStatus.CONSUME_SUCCESS;
        });
        c.start();
        new Json().put("ready", true).emit();
        File stop = new File(a.need("stop_file"));
        long deadline = System.currentTimeMillis() + a.num("timeout_ms", 600000);
        while (!stop.exists() && System.currentTimeMillis() < deadline) {
            Thread.sleep(100);
        }
        c.shutdown();
        p.shutdown();
        new Json().put("done", true).put("received", seen.size()).emit();
        return stop.exists() ? 0 : 2;
    }

    static void emit(int i, SendResult r) {
        new Json().put("i", i).put("status", r.getSendStatus().name()).put("msgId", r.getMsgId())
            .put("offsetMsgId", r.getOffsetMsgId()).put("queueId", r.getMessageQueue().getQueueId())
            .put("queueOffset", r.getQueueOffset()).emit();
    }
}
