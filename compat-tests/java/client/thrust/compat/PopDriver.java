package thrust.compat;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.rocketmq.client.consumer.DefaultMQPushConsumer;
import org.apache.rocketmq.client.consumer.listener.ConsumeConcurrentlyStatus;
import org.apache.rocketmq.client.consumer.listener.MessageListenerConcurrently;
import org.apache.rocketmq.common.consumer.ConsumeFromWhere;
import org.apache.rocketmq.common.message.MessageExt;

/**
 * POP consumption by the unmodified 5.x push consumer. One JSON object per line on stdout.
 *
 * <pre>
 * member ns=ADDR topic=T group=G stop_file=PATH [broker_rebalance=true] [fail=BODY] [timeout_ms=170000]
 *        clustering DefaultMQPushConsumer (from first offset). With broker_rebalance=true it
 *        calls setClientRebalance(false) (a 5.x setter, found by reflection so this class also
 *        compiles against 4.9.8): the client then asks the broker for its queues
 *        (QUERY_ASSIGNMENT) and pops them when the group's mode is POP (mqadmin setConsumeMode),
 *        acking each message itself. Prints {"ready":true} after start, one line per delivery
 *        {"body","topic","reconsumeTimes","popCk"}; the listener returns RECONSUME_LATER the
 *        first time it gets body BODY. {"stopped":true} after shutdown, as soon as stop_file
 *        exists (exit 0), or exit 2 at the timeout.
 * </pre>
 */
public final class PopDriver {
    public static void main(String[] argv) {
        Modes.run(argv, Map.of("member", PopDriver::member));
    }

    static int member(Args a) throws Exception {
        DefaultMQPushConsumer c = new DefaultMQPushConsumer(a.need("group"));
        c.setNamesrvAddr(a.need("ns"));
        c.setMqClientApiTimeout(Args.CLIENT_API_TIMEOUT_MS);
        c.setConsumeFromWhere(ConsumeFromWhere.CONSUME_FROM_FIRST_OFFSET);
        if (Boolean.parseBoolean(a.str("broker_rebalance", "false"))) {
            DefaultMQPushConsumer.class.getMethod("setClientRebalance", boolean.class).invoke(c, false);
        }
        c.subscribe(a.need("topic"), "*");
        String fail = a.str("fail", "");
        Set<String> failed = ConcurrentHashMap.newKeySet();
        c.registerMessageListener((MessageListenerConcurrently) (msgs, ctx) -> {
            boolean later = false;
            for (MessageExt m : msgs) {
                String body = new String(m.getBody(), StandardCharsets.UTF_8);
                new Json().put("body", body).put("topic", m.getTopic()).put("reconsumeTimes", m.getReconsumeTimes())
                    .put("popCk", m.getProperty("POP_CK")).emit();
                if (body.equals(fail) && failed.add(body)) {
                    later = true;
                }
            }
            return later ? ConsumeConcurrentlyStatus.RECONSUME_LATER : ConsumeConcurrentlyStatus.CONSUME_SUCCESS;
        });
        c.setConsumeMessageBatchMaxSize(1);
        c.start();
        new Json().put("ready", true).emit();
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
}
