package thrust.compat;

import java.util.LinkedHashMap;
import java.util.Map;

/** key=value command-line arguments. */
final class Args {
    final Map<String, String> map = new LinkedHashMap<>();

    Args(String[] argv, int from) {
        for (int i = from; i < argv.length; i++) {
            int eq = argv[i].indexOf('=');
            if (eq < 0) {
                throw new IllegalArgumentException("bad argument " + argv[i] + " (want key=value)");
            }
            map.put(argv[i].substring(0, eq), argv[i].substring(eq + 1));
        }
    }

    String need(String k) {
        String v = map.get(k);
        if (v == null) {
            throw new IllegalArgumentException("missing argument " + k + "=");
        }
        return v;
    }

    String str(String k, String def) {
        return map.getOrDefault(k, def);
    }

    /**
     * Every client's timeout for its NameServer and broker API calls (routes, heartbeats, offset
     * queries): Java's 3 s default is exceeded when scenarios share a loaded machine.
     */
    static final int CLIENT_API_TIMEOUT_MS = 15000;

    /**
     * A producer's send timeout: send_timeout_ms, else 15 s. Java's 3 s default is exceeded when
     * scenarios share a loaded machine; a scenario that tests timeouts passes its own.
     */
    int sendTimeoutMs() {
        return num("send_timeout_ms", 15000);
    }

    int num(String k, int def) {
        String v = map.get(k);
        return v == null ? def : Integer.parseInt(v);
    }
}
