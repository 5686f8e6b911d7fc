package thrust.compat.golden;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import com.alibaba.fastjson.serializer.SerializerFeature;
import org.apache.rocketmq.common.TopicConfig;
import org.apache.rocketmq.remoting.protocol.DataVersion;
import org.apache.rocketmq.remoting.protocol.LanguageCode;
import org.apache.rocketmq.remoting.protocol.RemotingCommand;
import org.apache.rocketmq.remoting.protocol.SerializeType;
import org.apache.rocketmq.remoting.protocol.body.ClusterInfo;
import org.apache.rocketmq.remoting.protocol.body.KVTable;
import org.apache.rocketmq.remoting.protocol.body.RegisterBrokerBody;
import org.apache.rocketmq.remoting.protocol.body.TopicConfigAndMappingSerializeWrapper;
import org.apache.rocketmq.remoting.protocol.header.SendMessageRequestHeader;
import org.apache.rocketmq.remoting.protocol.header.SendMessageRequestHeaderV2;
import org.apache.rocketmq.remoting.protocol.header.SendMessageResponseHeader;
import org.apache.rocketmq.remoting.protocol.header.namesrv.GetRouteInfoRequestHeader;
import org.apache.rocketmq.remoting.protocol.route.BrokerData;
import org.apache.rocketmq.remoting.protocol.route.QueueData;
import org.apache.rocketmq.remoting.protocol.route.TopicRouteData;

/** The golden cases: the frames and bodies a NameServer and a broker exchange most. */
final class Cases {
    /** Properties string with the separators, quotes, control and non-ASCII characters. */
    static final String PROPS = "TAGS\u0001TagA\u0002KEYS\u0001k1 k2\u0002UNIQ_KEY\u00017F0000010000\u0002"
        + "zh\u0001\u4e2d\u6587\u0002q\u0001\"\\/\t\u0002emoji\u0001\ud83d\ude00";

    private Cases() {
    }

    static void frames() throws Exception {
        for (SerializeType type : SerializeType.values()) {
            String t = type.name().toLowerCase();
            GetRouteInfoRequestHeader route = new GetRouteInfoRequestHeader();
            route.setTopic("TopicTest");
            route.setAcceptStandardJsonOnly(true);
            RemotingCommand cmd = RemotingCommand.createRequestCommand(105, route);
            cmd.setSerializeTypeCurrentRPC(type);
            cmd.setOpaque(7);
            Golden.frameCase("route_request_" + t, cmd, false);

            RemotingCommand send = RemotingCommand.createRequestCommand(310, sendHeaderV2());
            send.setSerializeTypeCurrentRPC(type);
            send.setOpaque(-42);
            send.setBody("Hello \u4e16\u754c".getBytes(StandardCharsets.UTF_8));
            Golden.frameCase("send_v2_request_" + t, send, true);

            RemotingCommand sendV1 = RemotingCommand.createRequestCommand(10,
                SendMessageRequestHeaderV2.createSendMessageRequestHeaderV1(sendHeaderV2()));
            sendV1.setSerializeTypeCurrentRPC(type);
            sendV1.setLanguage(LanguageCode.GO);
            sendV1.setVersion(317);
            sendV1.setOpaque(Integer.MAX_VALUE);
            sendV1.setBody(new byte[] {0, 1, 2, (byte) 0xff});
            Golden.frameCase("send_v1_request_" + t, sendV1, false);

            RemotingCommand resp = RemotingCommand.createResponseCommand(SendMessageResponseHeader.class);
            SendMessageResponseHeader rh = (SendMessageResponseHeader) resp.readCustomHeader();
            rh.setMsgId("7F00000100002A9F0000000000000BB8");
            rh.setQueueId(3);
            rh.setQueueOffset(1234567890123L);
            resp.setCode(0);
            resp.setOpaque(-42);
            resp.setSerializeTypeCurrentRPC(type);
            resp.addExtField("MSG_REGION", "DefaultRegion");
            resp.addExtField("TRACE_ON", "true");
            Golden.frameCase("send_response_" + t, resp, true);

            RemotingCommand err = RemotingCommand.createResponseCommand(17,
                "No topic route info in name server for the topic: \u4e2d\u6587 \"q\"\n");
            err.setOpaque(8);
            err.setSerializeTypeCurrentRPC(type);
            Golden.frameCase("error_response_" + t, err, false);

            RemotingCommand oneway = RemotingCommand.createRequestCommand(34, null);
            oneway.markOnewayRPC();
            oneway.setOpaque(0);
            oneway.setSerializeTypeCurrentRPC(type);
            oneway.setBody("{\"clientID\":\"127.0.0.1@1\"}".getBytes(StandardCharsets.UTF_8));
            Golden.frameCase("oneway_request_" + t, oneway, false);
        }
    }

    static SendMessageRequestHeaderV2 sendHeaderV2() {
        SendMessageRequestHeader h = new SendMessageRequestHeader();
        h.setProducerGroup("PG");
        h.setTopic("TopicTest");
        h.setDefaultTopic("TBW102");
        h.setDefaultTopicQueueNums(4);
        h.setQueueId(1);
        h.setSysFlag(0);
        h.setBornTimestamp(1700000000000L);
        h.setFlag(0);
        h.setProperties(PROPS);
        h.setReconsumeTimes(0);
        h.setUnitMode(false);
        h.setBatch(false);
        h.setBrokerName("broker-a");
        return SendMessageRequestHeaderV2.createSendMessageRequestHeaderV2(h);
    }

    static TopicRouteData route() {
        QueueData qa = new QueueData();
        qa.setBrokerName("broker-a");
        qa.setReadQueueNums(8);
        qa.setWriteQueueNums(8);
        qa.setPerm(6);
        qa.setTopicSysFlag(0);
        QueueData qb = new QueueData();
        qb.setBrokerName("broker-b");
        qb.setReadQueueNums(4);
        qb.setWriteQueueNums(2);
        qb.setPerm(4);
        qb.setTopicSysFlag(1);
        HashMap<Long, String> addrsA = new HashMap<>();
        addrsA.put(0L, "127.0.0.1:10911");
        addrsA.put(1L, "127.0.0.1:10921");
        HashMap<Long, String> addrsB = new HashMap<>();
        addrsB.put(0L, "10.0.0.2:10911");
        TopicRouteData r = new TopicRouteData();
        r.setQueueDatas(new ArrayList<>(Arrays.asList(qa, qb)));
        r.setBrokerDatas(new ArrayList<>(Arrays.asList(new BrokerData("DefaultCluster", "broker-a", addrsA),
            new BrokerData("DefaultCluster", "broker-b", addrsB))));
        r.setFilterServerTable(new HashMap<>());
        r.setOrderTopicConf("broker-a:8;broker-b:2");
        return r;
    }

    static void bodies() {
        TopicRouteData route = route();
        // What Java's NameServer answers clients >= 4.9.4 (ClientRequestProcessor).
        byte[] standard = route.encode(SerializerFeature.BrowserCompatible, SerializerFeature.QuoteFieldNames,
            SerializerFeature.SkipTransientField, SerializerFeature.MapSortField);
        Golden.bodyCase("TopicRouteData", route, standard);

        ClusterInfo cluster = new ClusterInfo();
        HashMap<String, BrokerData> brokers = new HashMap<>();
        for (BrokerData bd : route.getBrokerDatas()) {
            brokers.put(bd.getBrokerName(), bd);
        }
        cluster.setBrokerAddrTable(brokers);
        HashMap<String, java.util.Set<String>> clusters = new HashMap<>();
        clusters.put("DefaultCluster", new HashSet<>(Arrays.asList("broker-a", "broker-b")));
        cluster.setClusterAddrTable(clusters);
        Golden.bodyCase("ClusterInfo", cluster, null);

        KVTable kv = new KVTable();
        HashMap<String, String> table = new HashMap<>();
        table.put("brokerVersionDesc", "V5_3_3");
        table.put("putTps", "0.0 0.0 0.0");
        table.put("zh", "\u4e2d\u6587 \"quoted\"");
        kv.setTable(table);
        Golden.bodyCase("KVTable", kv, null);

        TopicConfigAndMappingSerializeWrapper wrapper = new TopicConfigAndMappingSerializeWrapper();
        ConcurrentHashMap<String, TopicConfig> topics = new ConcurrentHashMap<>();
        topics.put("TopicTest", new TopicConfig("TopicTest", 4, 4, 6));
        TopicConfig tbw = new TopicConfig("TBW102", 8, 8, 7);
        topics.put("TBW102", tbw);
        wrapper.setTopicConfigTable(topics);
        DataVersion dv = new DataVersion();
        dv.setCounter(new AtomicLong(3));
        dv.setTimestamp(1700000000000L);
        dv.setStateVersion(0);
        wrapper.setDataVersion(dv);
        RegisterBrokerBody reg = new RegisterBrokerBody();
        reg.setTopicConfigSerializeWrapper(wrapper);
        List<String> filters = new ArrayList<>();
        reg.setFilterServerList(filters);
        Golden.bodyCase("RegisterBrokerBody", reg, null);
    }
}
