package thrust.compat;

import java.util.Map;

/**
 * The entry point every driver program shares: {@code argv[0]} names a mode, the rest are
 * key=value {@link Args}. The JVM is halted with the mode's exit code, so client threads still
 * running never keep it alive; an exception becomes an error line and exit code 1.
 */
final class Modes {
    interface Mode {
        int run(Args a) throws Exception;
    }

    private Modes() {
    }

    static void run(String[] argv, Map<String, Mode> modes) {
        Mode mode = argv.length > 0 ? modes.get(argv[0]) : null;
        int code;
        if (mode == null) {
            new Json().put("error", "usage: " + String.join("|", modes.keySet()) + " key=value...").emit();
            code = 1;
        } else {
            try {
                code = mode.run(new Args(argv, 1));
            } catch (Throwable e) {
                e.printStackTrace();
                new Json().put("error", String.valueOf(e)).emit();
                code = 1;
            }
        }
        System.out.flush();
        Runtime.getRuntime().halt(code);
    }
}
