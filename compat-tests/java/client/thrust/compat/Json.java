package thrust.compat;

import java.util.Map;

/** Minimal JSON writer for driver output: one object per line, no dependency on the client's JSON library. */
final class Json {
    private final StringBuilder sb = new StringBuilder("{");
    private boolean first = true;

    Json put(String key, Object value) {
        if (!first) {
            sb.append(',');
        }
        first = false;
        str(sb, key);
        sb.append(':');
        value(sb, value);
        return this;
    }

    @SuppressWarnings("unchecked")
    private static void value(StringBuilder sb, Object v) {
        if (v == null) {
            sb.append("null");
        } else if (v instanceof Number || v instanceof Boolean) {
            sb.append(v);
        } else if (v instanceof Map) {
            sb.append('{');
            boolean f = true;
            for (Map.Entry<String, String> e : new java.util.TreeMap<>((Map<String, String>) v).entrySet()) {
                if (!f) {
                    sb.append(',');
                }
                f = false;
                str(sb, e.getKey());
                sb.append(':');
                value(sb, e.getValue());
            }
            sb.append('}');
        } else {
            str(sb, v.toString());
        }
    }

    static void str(StringBuilder sb, String s) {
        sb.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '"' || c == '\\') {
                sb.append('\\').append(c);
            } else if (c < 0x20) {
                sb.append(String.format("\\u%04x", (int) c));
            } else {
                sb.append(c);
            }
        }
        sb.append('"');
    }

    /** Prints the object as one line; synchronized so lines from callback threads never interleave. */
    void emit() {
        String line = sb.toString() + "}";
        synchronized (System.out) {
            System.out.println(line);
            System.out.flush();
        }
    }
}
