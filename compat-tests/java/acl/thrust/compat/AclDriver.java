package thrust.compat;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;
import org.apache.rocketmq.acl.common.AclClientRPCHook;
import org.apache.rocketmq.acl.common.SessionCredentials;
import org.apache.rocketmq.client.consumer.DefaultMQPullConsumer;
import org.apache.rocketmq.client.exception.MQBrokerException;
import org.apache.rocketmq.client.exception.MQClientException;
import org.apache.rocketmq.client.producer.DefaultMQProducer;
import org.apache.rocketmq.common.DataVersion;
import org.apache.rocketmq.common.PlainAccessConfig;
import org.apache.rocketmq.common.TopicConfig;
import org.apache.rocketmq.common.protocol.body.ClusterAclVersionInfo;
import org.apache.rocketmq.common.message.Message;
import org.apache.rocketmq.common.message.MessageQueue;
import org.apache.rocketmq.remoting.RPCHook;
import org.apache.rocketmq.tools.admin.DefaultMQAdminExt;

/**
 * The ACL 1.0 matrix, run by the unmodified Java client 4.9.8 with rocketmq-acl 4.9.8's
 * AclClientRPCHook and rocketmq-tools 4.9.8's DefaultMQAdminExt against one broker with
 * aclEnable=true. One JSON line per case:
 * {"case":NAME,"ok":BOOL,"code":N,"acl":"AclException message or remark"}.
 *
 * <pre>
 * matrix ns=ADDR broker=ADDR aclFile=PATH
 * </pre>
 * The broker's plain_acl.yml is the one in compat-tests/tests/broker/acl.rs.
 */
public final class AclDriver {
    static String ns;
    static String broker;
    static final AtomicInteger SEQ = new AtomicInteger();

    public static void main(String[] argv) throws Exception {
        for (String a : argv) {
            if (a.startsWith("ns=")) ns = a.substring(3);
            if (a.startsWith("broker=")) broker = a.substring(7);
        }
        String aclFile = Arrays.stream(argv).filter(a -> a.startsWith("aclFile=")).findFirst()
            .map(a -> a.substring(8)).orElseThrow();
        RPCHook user = hook("RocketMQUser", "12345678");
        RPCHook admin = hook("adminUser1", "adminSecret1");

        for (String t : List.of("aclTopicAll", "aclTopicPub", "aclTopicSub", "aclTopicDeny")) {
            report("create_topic_admin_" + t, () -> adminDo(admin, a -> a.createAndUpdateTopicConfig(broker, topic(t))));
        }
        report("create_topic_user", () -> adminDo(user, a -> a.createAndUpdateTopicConfig(broker, topic("aclTopicUser"))));
        report("create_topic_no_keys", () -> adminDo(null, a -> a.createAndUpdateTopicConfig(broker, topic("aclTopicNoKey"))));

        report("send_right_keys", () -> send(user, "aclTopicAll"));
        report("send_wrong_secret", () -> send(hook("RocketMQUser", "87654321"), "aclTopicAll"));
        report("send_unknown_key", () -> send(hook("nobodyUser", "12345678"), "aclTopicAll"));
        report("send_no_keys", () -> send(null, "aclTopicAll"));
        report("send_pub_topic", () -> send(user, "aclTopicPub"));
        report("send_sub_topic", () -> send(user, "aclTopicSub"));
        report("send_deny_topic", () -> send(user, "aclTopicDeny"));
        report("send_unlisted_topic_default_deny", () -> send(user, "aclTopicAllX"));
        report("send_admin_no_perms_listed", () -> send(admin, "aclTopicDeny"));
        report("send_white_account_wrong_secret", () -> send(hook("whiteUser1", "wrongwrong"), "aclTopicAll"));

        report("pull_right_keys", () -> pull(user, "aclTopicAll", "aclGroupOk"));
        report("pull_deny_group", () -> pull(user, "aclTopicAll", "aclGroupDeny"));
        report("pull_sub_topic", () -> pull(user, "aclTopicSub", "aclGroupOk"));
        report("pull_pub_only_topic", () -> pull(user, "aclTopicPub", "aclGroupOk"));
        report("pull_deny_topic", () -> pull(user, "aclTopicDeny", "aclGroupOk"));

        PlainAccessConfig created = new PlainAccessConfig();
        created.setAccessKey("newUser01");
        created.setSecretKey("newSecret01");
        created.setDefaultTopicPerm("PUB");
        created.setDefaultGroupPerm("SUB");
        created.setTopicPerms(List.of("aclTopicSub=DENY"));
        created.setGroupPerms(List.of("aclGroupOk=SUB"));
        report("acl_create_account", () -> adminDo(admin, a -> a.createAndUpdatePlainAccessConfig(broker, created)));
        report("send_created_account", () -> until(() -> send(hook("newUser01", "newSecret01"), "aclTopicAll"), ok -> ok == null));
        report("send_created_account_denied_topic", () -> send(hook("newUser01", "newSecret01"), "aclTopicSub"));
        PlainAccessConfig bad = new PlainAccessConfig();
        bad.setAccessKey("short");
        bad.setSecretKey("newSecret01");
        report("acl_create_short_key", () -> adminDo(admin, a -> a.createAndUpdatePlainAccessConfig(broker, bad)));
        report("acl_version", () -> admin(admin, a -> {
            ClusterAclVersionInfo v = a.examineBrokerClusterAclVersionInfo(broker);
            for (Map.Entry<String, DataVersion> e : v.getAllAclConfigDataVersion().entrySet()) {
                if (e.getKey().equals(aclFile)) {
                    return "counter=" + e.getValue().getCounter().get();
                }
            }
            return "no version for " + aclFile + " in " + v.getAllAclConfigDataVersion().keySet();
        }));
        report("acl_delete_account", () -> adminDo(admin, a -> a.deletePlainAccessConfig(broker, "newUser01")));
        report("send_deleted_account", () -> until(() -> send(hook("newUser01", "newSecret01"), "aclTopicAll"), ok -> ok != null));
        report("acl_delete_unknown", () -> adminDo(admin, a -> a.deletePlainAccessConfig(broker, "nobodyUser")));

        report("global_white_no_path", () -> adminDo(admin, a -> a.updateGlobalWhiteAddrConfig(broker, "127.0.0.1")));
        report("global_white_set", () -> adminDo(admin, a -> a.updateGlobalWhiteAddrConfig(broker, "127.0.0.1", aclFile)));
        report("send_no_keys_global_white", () -> until(() -> send(null, "aclTopicDeny"), ok -> ok == null));
        report("global_white_reset", () -> adminDo(admin, a -> a.updateGlobalWhiteAddrConfig(broker, "10.10.103.*", aclFile)));
        report("send_no_keys_after_reset", () -> until(() -> send(null, "aclTopicAll"), ok -> ok != null));
        Runtime.getRuntime().halt(0);
    }

    interface Step {
        Object run() throws Exception;
    }

    interface AdminStep {
        Object run(DefaultMQAdminExt a) throws Exception;
    }

    interface VoidAdminStep {
        void run(DefaultMQAdminExt a) throws Exception;
    }

    static RPCHook hook(String ak, String sk) {
        return new AclClientRPCHook(new SessionCredentials(ak, sk));
    }

    static TopicConfig topic(String name) {
        TopicConfig c = new TopicConfig(name, 2, 2, 6);
        return c;
    }

    /** Runs the step; a null result is success, else the refusal as [code, remark]. */
    static Object admin(RPCHook hook, AdminStep step) throws Exception {
        DefaultMQAdminExt a = hook == null ? new DefaultMQAdminExt() : new DefaultMQAdminExt(hook);
        a.setNamesrvAddr(ns);
        a.setInstanceName("acl-admin-" + SEQ.incrementAndGet());
        a.setAdminExtGroup("acl_admin_" + SEQ.get());
        a.start();
        try {
            return step.run(a);
        } finally {
            a.shutdown();
        }
    }

    static Object adminDo(RPCHook hook, VoidAdminStep step) throws Exception {
        return admin(hook, (AdminStep) a -> {
            step.run(a);
            return null;
        });
    }

    static Object send(RPCHook hook, String topic) throws Exception {
        DefaultMQProducer p = hook == null ? new DefaultMQProducer("acl_pg_" + SEQ.incrementAndGet())
            : new DefaultMQProducer("acl_pg_" + SEQ.incrementAndGet(), hook);
        p.setNamesrvAddr(ns);
        p.setInstanceName("acl-producer-" + SEQ.get());
        p.setRetryTimesWhenSendFailed(0);
        p.setSendMsgTimeout(10000);
        p.start();
        try {
            p.send(new Message(topic, "acl".getBytes(StandardCharsets.UTF_8)));
            return null;
        } finally {
            p.shutdown();
        }
    }

    static Object pull(RPCHook hook, String topic, String group) throws Exception {
        DefaultMQPullConsumer c = new DefaultMQPullConsumer(group, hook);
        c.setNamesrvAddr(ns);
        c.setInstanceName("acl-consumer-" + SEQ.incrementAndGet());
        c.start();
        try {
            MessageQueue mq = new MessageQueue(topic, c.fetchSubscribeMessageQueues(topic).iterator().next().getBrokerName(), 0);
            return "pull=" + c.pull(mq, "*", 0, 32, 10000).getPullStatus().name().replace("NO_NEW_MSG", "FOUND").replace("NO_MATCHED_MSG", "FOUND");
        } finally {
            c.shutdown();
        }
    }

    /** Repeats the step until its outcome (null: success) satisfies `done`, for at most 60 s. */
    static Object until(Step step, Predicate<Throwable> done) throws Exception {
        long deadline = System.currentTimeMillis() + 60_000;
        while (true) {
            Throwable t = null;
            Object r = null;
            try {
                r = step.run();
            } catch (Throwable e) {
                t = e;
            }
            if (done.test(t) || System.currentTimeMillis() > deadline) {
                if (t instanceof Exception) {
                    throw (Exception) t;
                }
                return r;
            }
            Thread.sleep(200);
        }
    }

    static void report(String name, Step step) {
        StringBuilder out = new StringBuilder("{\"case\":\"").append(name).append('"');
        try {
            Object r = step.run();
            out.append(",\"ok\":true");
            if (r != null) {
                out.append(",\"result\":\"").append(esc(r.toString())).append('"');
            }
        } catch (Throwable t) {
            int code = -1;
            String remark = String.valueOf(t);
            // The broker's answer: a MQBrokerException anywhere in the chain (a producer wraps
            // it in "Send [1] times, still failed"), else a MQClientException carrying a code.
            boolean found = false;
            for (Throwable c = t; c != null && !found; c = c.getCause()) {
                if (c instanceof MQBrokerException) {
                    code = ((MQBrokerException) c).getResponseCode();
                    remark = ((MQBrokerException) c).getErrorMessage();
                    found = true;
                }
            }
            for (Throwable c = t; c != null && !found; c = c.getCause()) {
                if (c instanceof MQClientException && ((MQClientException) c).getResponseCode() > 0) {
                    code = ((MQClientException) c).getResponseCode();
                    remark = ((MQClientException) c).getErrorMessage();
                    found = true;
                }
            }
            out.append(",\"ok\":false,\"code\":").append(code).append(",\"remark\":\"").append(esc(remark)).append('"');
        }
        System.out.println(out.append('}'));
        System.out.flush();
    }

    static String esc(String s) {
        if (s == null) {
            return "null";
        }
        StringBuilder b = new StringBuilder();
        for (char ch : s.toCharArray()) {
            if (ch == '"' || ch == '\\') {
                b.append('\\').append(ch);
            } else if (ch < 0x20) {
                b.append(String.format("\\u%04x", (int) ch));
            } else {
                b.append(ch);
            }
        }
        return b.toString();
    }
}
