package thrust.compat.admin;

import java.io.BufferedReader;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.PrintStream;
import java.lang.reflect.Field;
import java.nio.charset.StandardCharsets;
import java.security.Permission;
import java.util.List;
import org.apache.rocketmq.tools.command.MQAdminStartup;

/**
 * Runs unmodified {@code mqadmin} commands ({@link MQAdminStartup#main}) one after the other in
 * one JVM, so a command costs its own work and not a JVM start-up and class loading.
 *
 * <p>Control channel: a command is one line on stdin, its arguments separated by tabs. The
 * answer goes to the process's original stdout: {@code DONE <exit code> <stdout bytes> <stderr
 * bytes>}, a newline, then the command's stdout and stderr. The exit code is what a JVM of its
 * own would have ended with: the status of a {@code System.exit} (the command line parser's, on
 * {@code -h} or a bad option), 1 when the command threw, 0 otherwise.
 *
 * <p>Between commands the tool's static state is what a fresh JVM has: its sub-command list is
 * emptied (every run appends all sub-commands again). Each command builds its own admin client
 * and shuts it down; the {@link AdminRun} watcher ends its wait for the client's event thread.
 */
public final class AdminServer {
    /** Thrown by a trapped {@code System.exit}: an Error, so {@code catch (Exception)} lets it by. */
    static final class Exit extends Error {
        final int status;

        Exit(int status) {
            super("System.exit(" + status + ")", null, false, false);
            this.status = status;
        }
    }

    /** Set once stdin ends, when the JVM's own halt must pass the trap. */
    private static volatile boolean closing;

    private AdminServer() {
    }

    public static void main(String[] args) throws Exception {
        PrintStream control = new PrintStream(new FileOutputStream(FileDescriptor.out), false);
        BufferedReader requests = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        System.setIn(new ByteArrayInputStream(new byte[0]));
        PrintStream idle = new PrintStream(OutputStream.nullOutputStream());
        System.setOut(idle);
        trapExit();
        Thread orphan = new Thread(AdminServer::haltWhenOrphaned, "admin-server-parent");
        orphan.setDaemon(true);
        orphan.start();
        Field subCommands = MQAdminStartup.class.getDeclaredField("SUB_COMMANDS");
        subCommands.setAccessible(true);
        for (String line; (line = requests.readLine()) != null; ) {
            String[] argv = line.isEmpty() ? new String[0] : line.split("\t", -1);
            ((List<?>) subCommands.get(null)).clear();
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            ByteArrayOutputStream err = new ByteArrayOutputStream();
            PrintStream stderr = System.err;
            System.setOut(new PrintStream(out, true));
            System.setErr(new PrintStream(err, true));
            int code;
            try {
                code = run(argv);
            } finally {
                System.out.flush();
                System.err.flush();
                System.setOut(idle);
                System.setErr(stderr);
            }
            byte[] o = out.toByteArray();
            byte[] e = err.toByteArray();
            control.write(("DONE " + code + " " + o.length + " " + e.length + "\n").getBytes(StandardCharsets.US_ASCII));
            control.write(o);
            control.write(e);
            control.flush();
        }
        closing = true;
        Runtime.getRuntime().halt(0);
    }

    /** The test process is gone (stdin may stay open while a command hangs): end the JVM. */
    static void haltWhenOrphaned() {
        java.util.Optional<ProcessHandle> parent = ProcessHandle.current().parent();
        while (parent.map(ProcessHandle::isAlive).orElse(false)) {
            try {
                Thread.sleep(1000);
            } catch (InterruptedException e) {
                return;
            }
        }
        closing = true;
        Runtime.getRuntime().halt(3);
    }

    /** One command on a thread of its own, which the join watcher may interrupt. */
    static int run(String[] argv) throws InterruptedException {
        int[] code = {0};
        Thread command = new Thread(() -> {
            try {
                MQAdminStartup.main(argv);
            } catch (Exit e) {
                code[0] = e.status;
            } catch (Throwable e) {
                e.printStackTrace();
                code[0] = 1;
            }
        }, "mqadmin");
        Thread watcher = new Thread(() -> AdminRun.watch(command), "admin-run-watcher");
        watcher.setDaemon(true);
        command.start();
        watcher.start();
        command.join();
        watcher.interrupt();
        watcher.join();
        return code[0];
    }

    @SuppressWarnings("removal")
    static void trapExit() {
        System.setSecurityManager(new SecurityManager() {
            @Override
            public void checkPermission(Permission perm) {
            }

            @Override
            public void checkPermission(Permission perm, Object context) {
            }

            @Override
            public void checkExit(int status) {
                if (!closing) {
                    throw new Exit(status);
                }
            }
        });
    }
}
