package thrust.compat.admin;

import org.apache.rocketmq.tools.command.MQAdminStartup;

/**
 * Runs one unmodified {@code mqadmin} command ({@link MQAdminStartup#main}) and halts the JVM as
 * soon as it returns. A plain {@code mqadmin} JVM spends about three more seconds waiting for the
 * client's Netty threads to wind down.
 *
 * <p>Besides, every command ends by shutting down its {@code DefaultMQAdminExt}, whose remoting
 * client stops an event thread that polls its queue every 3 s and joins it: about half the
 * commands sat up to 3 s in that join. A watcher interrupts the command's thread while it waits
 * there; {@code ServiceThread.shutdown} takes the interrupt as the end of its wait and the
 * command goes on as before (its error output and exit code included).
 */
public final class AdminRun {
    private static final String SERVICE_THREAD = "org.apache.rocketmq.common.ServiceThread";

    private AdminRun() {
    }

    public static void main(String[] args) {
        Thread command = Thread.currentThread();
        Thread watcher = new Thread(() -> watch(command), "admin-run-watcher");
        watcher.setDaemon(true);
        watcher.start();
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

    static void watch(Thread command) {
        while (true) {
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                return;
            }
            if (joiningServiceThread(command.getStackTrace())) {
                command.interrupt();
            }
        }
    }

    /** The thread waits in Thread.join called by ServiceThread.shutdown. */
    static boolean joiningServiceThread(StackTraceElement[] stack) {
        for (int i = 0; i + 1 < stack.length && i < 8; i++) {
            if (stack[i].getClassName().equals("java.lang.Thread")
                && stack[i].getMethodName().equals("join")) {
                StackTraceElement caller = stack[i + 1];
                return caller.getClassName().equals(SERVICE_THREAD)
                    && caller.getMethodName().equals("shutdown");
            }
        }
        return false;
    }
}
