package thrust.compat.admin;

import org.apache.rocketmq.tools.command.MQAdminStartup;

/**
 * Runs one unmodified {@code mqadmin} command ({@link MQAdminStartup#main}) and halts the JVM as
 * soon as it returns. The command's output is complete at that point; a plain {@code mqadmin}
 * JVM would spend about three more seconds waiting for the client's Netty threads to wind down.
 */
public final class AdminRun {
    private AdminRun() {
    }

    public static void main(String[] args) {
        int code = 0;
        try {
            MQAdminStartup.main(args);
        } catch (Throwable e) {
            e.printStackTrace();
            code = 1;
        }
        System.out.flush();
        System.err.flush();
        Runtime.getRuntime().halt(code);
    }
}
