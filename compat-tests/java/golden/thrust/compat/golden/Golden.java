package thrust.compat.golden;

import com.alibaba.fastjson.JSON;
import com.alibaba.fastjson.serializer.SerializerFeature;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Map;
import java.util.TreeMap;
import org.apache.rocketmq.remoting.protocol.DataVersion;
import org.apache.rocketmq.remoting.protocol.RemotingCommand;
import org.apache.rocketmq.remoting.protocol.RemotingSerializable;
import org.apache.rocketmq.remoting.protocol.body.CheckClientRequestBody;
import org.apache.rocketmq.remoting.protocol.body.ClusterInfo;
import org.apache.rocketmq.remoting.protocol.body.GetConsumerStatusBody;
import org.apache.rocketmq.remoting.protocol.body.KVTable;
import org.apache.rocketmq.remoting.protocol.body.LockBatchRequestBody;
import org.apache.rocketmq.remoting.protocol.body.RegisterBrokerBody;
import org.apache.rocketmq.remoting.protocol.body.UnlockBatchRequestBody;
import org.apache.rocketmq.remoting.protocol.heartbeat.HeartbeatData;
import org.apache.rocketmq.remoting.protocol.subscription.SubscriptionGroupConfig;
import org.apache.rocketmq.remoting.protocol.header.SendMessageRequestHeader;
import org.apache.rocketmq.remoting.protocol.header.SendMessageRequestHeaderV2;
import org.apache.rocketmq.remoting.protocol.header.SendMessageResponseHeader;
import org.apache.rocketmq.remoting.protocol.header.namesrv.GetRouteInfoRequestHeader;
import org.apache.rocketmq.remoting.protocol.route.TopicRouteData;

/**
 * Golden data from the real Java classes (rocketmq-remoting 5.3.3, fastjson 1.2.83), for
 * compat-tests/tests/golden.rs. One JSON object per line on stdout.
 *
 * <pre>
 * encode   frames and bodies written by RemotingCommand.encode / fastEncodeHeader and
 *          RemotingSerializable.encode, each with the values Java reads back from them
 * decode   reads "CASE HEX" lines (frames with their 4-byte length, or "body:CLASS" bodies) on
 *          stdin and prints what RemotingCommand.decode / RemotingSerializable.decode make of them
 * </pre>
 */
public final class Golden {
    private static final SerializerFeature[] STANDARD = {
        SerializerFeature.WriteNonStringKeyAsString, SerializerFeature.MapSortField, SerializerFeature.SortField};

    public static void main(String[] args) throws Exception {
        if (args.length != 1) {
            throw new IllegalArgumentException("usage: Golden encode|decode");
        }
        if (args[0].equals("encode")) {
            Cases.frames();
            Cases.bodies();
        } else if (args[0].equals("decode")) {
            decodeStdin();
        } else {
            throw new IllegalArgumentException("unknown mode " + args[0]);
        }
        System.out.flush();
    }

    static String hex(byte[] b) {
        StringBuilder sb = new StringBuilder(b.length * 2);
        for (byte x : b) {
            sb.append(String.format("%02x", x & 0xff));
        }
        return sb.toString();
    }

    static byte[] unhex(String s) {
        byte[] b = new byte[s.length() / 2];
        for (int i = 0; i < b.length; i++) {
            b[i] = (byte) Integer.parseInt(s.substring(2 * i, 2 * i + 2), 16);
        }
        return b;
    }

    static void emit(Map<String, Object> line) {
        System.out.println(JSON.toJSONString(line, STANDARD));
    }

    /** Java's view of one frame (without its 4-byte length), plus any custom header it carries. */
    static Map<String, Object> view(byte[] frameWithoutLength) throws Exception {
        RemotingCommand cmd = RemotingCommand.decode(frameWithoutLength);
        Map<String, Object> v = new TreeMap<>();
        v.put("code", cmd.getCode());
        v.put("language", cmd.getLanguage() == null ? null : cmd.getLanguage().name());
        v.put("version", cmd.getVersion());
        v.put("opaque", cmd.getOpaque());
        v.put("flag", cmd.getFlag());
        v.put("remark", cmd.getRemark());
        v.put("ext", cmd.getExtFields() == null ? new TreeMap<String, String>() : new TreeMap<>(cmd.getExtFields()));
        v.put("body", cmd.getBody() == null ? null : hex(cmd.getBody()));
        v.put("type", cmd.getSerializeTypeCurrentRPC().name());
        v.put("header", typedHeader(cmd));
        return v;
    }

    /** Decodes the custom header the code implies, the way Java's processors do. */
    static Object typedHeader(RemotingCommand cmd) throws Exception {
        boolean response = (cmd.getFlag() & 1) == 1;
        if (!response && cmd.getCode() == 105) {
            return cmd.decodeCommandCustomHeader(GetRouteInfoRequestHeader.class);
        }
        if (!response && cmd.getCode() == 310) {
            SendMessageRequestHeaderV2 v2 = cmd.decodeCommandCustomHeader(SendMessageRequestHeaderV2.class);
            return SendMessageRequestHeaderV2.createSendMessageRequestHeaderV1(v2);
        }
        if (!response && cmd.getCode() == 10) {
            return cmd.decodeCommandCustomHeader(SendMessageRequestHeader.class);
        }
        if (response && cmd.getExtFields() != null && cmd.getExtFields().containsKey("msgId")) {
            return cmd.decodeCommandCustomHeader(SendMessageResponseHeader.class);
        }
        return null;
    }

    static void frameCase(String name, RemotingCommand cmd, boolean viaNettyEncoder) throws Exception {
        byte[] frame;
        if (viaNettyEncoder) {
            // What NettyEncoder writes on the wire: fastEncodeHeader, then the body.
            ByteBuf out = Unpooled.buffer();
            cmd.fastEncodeHeader(out);
            if (cmd.getBody() != null) {
                out.writeBytes(cmd.getBody());
            }
            frame = new byte[out.readableBytes()];
            out.readBytes(frame);
        } else {
            ByteBuffer buf = cmd.encode();
            frame = new byte[buf.remaining()];
            buf.get(frame);
        }
        Map<String, Object> line = new TreeMap<>();
        line.put("case", name);
        line.put("frame", hex(frame));
        line.put("java", view(Arrays.copyOfRange(frame, 4, frame.length)));
        emit(line);
    }

    static void bodyCase(String name, RemotingSerializable value, byte[] extraEncoding) {
        Map<String, Object> line = new TreeMap<>();
        line.put("case", name);
        line.put("body", hex(value.encode()));
        line.put("standard", JSON.parse(JSON.toJSONString(value, STANDARD)));
        if (extraEncoding != null) {
            line.put("namesrv_body", hex(extraEncoding));
        }
        emit(line);
    }

    static Class<?> bodyClass(String name) {
        switch (name) {
            case "TopicRouteData":
                return TopicRouteData.class;
            case "ClusterInfo":
                return ClusterInfo.class;
            case "KVTable":
                return KVTable.class;
            case "RegisterBrokerBody":
                return RegisterBrokerBody.class;
            case "HeartbeatData":
                return HeartbeatData.class;
            case "LockBatchRequestBody":
                return LockBatchRequestBody.class;
            case "UnlockBatchRequestBody":
                return UnlockBatchRequestBody.class;
            case "SubscriptionGroupConfig":
                return SubscriptionGroupConfig.class;
            case "CheckClientRequestBody":
                return CheckClientRequestBody.class;
            case "DataVersion":
                return DataVersion.class;
            case "GetConsumerStatusBody":
                return GetConsumerStatusBody.class;
            default:
                throw new IllegalArgumentException("unknown body class " + name);
        }
    }

    static void decodeStdin() throws Exception {
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        for (String l = in.readLine(); l != null; l = in.readLine()) {
            String[] parts = l.trim().split(" ");
            if (parts.length != 2) {
                continue;
            }
            Map<String, Object> line = new TreeMap<>();
            line.put("case", parts[0]);
            byte[] bytes = unhex(parts[1]);
            try {
                if (parts[0].startsWith("body:")) {
                    String cls = parts[0].substring(5, parts[0].indexOf('/') < 0 ? parts[0].length() : parts[0].indexOf('/'));
                    Object value = RemotingSerializable.decode(bytes, bodyClass(cls));
                    line.put("standard", JSON.parse(JSON.toJSONString(value, STANDARD)));
                } else {
                    int length = ByteBuffer.wrap(bytes, 0, 4).getInt();
                    line.put("length_ok", length == bytes.length - 4);
                    line.put("java", view(Arrays.copyOfRange(bytes, 4, bytes.length)));
                }
            } catch (Exception e) {
                line.put("error", e.toString());
            }
            emit(line);
        }
    }
}
