package thrust.bench;

import java.util.HashMap;
import java.util.Map;

/** "-flag value" command-line options, the style of RocketMQ's benchmark tools. */
final class Flags {
    private final Map<String, String> values = new HashMap<>();

    Flags(String[] argv) {
        for (int i = 0; i < argv.length; i++) {
            if (!argv[i].startsWith("-") || i + 1 >= argv.length) {
                throw new IllegalArgumentException("bad option " + argv[i] + " (want -flag value)");
            }
            values.put(argv[i], argv[++i]);
        }
    }

    String str(String flag, String def) {
        return values.getOrDefault(flag, def);
    }

    int num(String flag, int def) {
        String v = values.get(flag);
        return v == null ? def : Integer.parseInt(v);
    }

    /** The NameServer: -n, else NAMESRV_ADDR, as the official tools. */
    String namesrv() {
        String ns = str("-n", System.getenv("NAMESRV_ADDR"));
        if (ns == null || ns.isEmpty()) {
            throw new IllegalArgumentException("no NameServer: pass -n HOST:PORT or set NAMESRV_ADDR");
        }
        return ns;
    }
}
