package io.reside.cli.dev;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;

import io.reside.cli.ExitCodes;
import io.reside.cli.Progress;
import io.reside.cli.Signals;
import io.reside.contracts.alpha.v1.AlphaApi;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ScopeType;

/** {@code reside dev}: the whole cluster on this machine (SPEC 9). */
@Command(
        name = "dev",
        mixinStandardHelpOptions = true,
        subcommands = { DevStatusCommand.class,
                DevLogsCommand.class, DevChatCommand.class },
        description = {
                "Runs a whole ReSide cluster on this machine until Ctrl-C: etcd, a registry, Alpha, the User Manager,"
                        + " telegram and both secretaries, and the Telegram simulator with a chat page (unless "
                        + "TELEGRAM_BOT_TOKEN is set).",
                "Run again, it resumes the same cluster; --reset starts afresh." })
public class DevCommand implements Callable<Integer> {

    @Option(
            names = "--state-dir",
            scope = ScopeType.INHERIT,
            description = "The cluster's state directory "
                    + "(default: $RESIDE_DEV_DIR, else .reside/dev in the repository).")
    Path stateDir;

    @Option(names = "--reset", description = "Delete the state directory first: a new cluster.")
    boolean reset;

    @Option(
            names = "--chat-port",
            description = "The simulator's port (its chat page); default: the port of the "
                    + "first start.")
    Integer chatPort;

    /** The repository: {@code reside.home} (set by {@code ./reside}), else the working directory. */
    public static Path home() {
        String home = System.getProperty("reside.home");
        return (home == null || home.isBlank() ? Path.of("") : Path.of(home)).toAbsolutePath().normalize();
    }

    DevDir dir() {
        return stateDir != null ? new DevDir(stateDir.toAbsolutePath().normalize()) : DevDir.defaultFor(home());
    }

    @Override
    public Integer call() throws InterruptedException {
        Path home = home();
        DevDir dir = dir();
        Progress progress = Progress.onStderr();
        DevCluster cluster = new DevCluster(home, dir, progress, System.getenv("TELEGRAM_BOT_TOKEN"), chatPort);
        cluster.lock(); // first: a second reside dev says so before anything else
        // Ctrl-C (SIGINT) or SIGTERM: while starting, stop what was started (the start then fails, saying it was
        // stopped); once running, this thread stops the cluster in order and reside dev exits 0. The shutdown hook
        // covers the JVM exiting any other way (SIGHUP, a closed terminal).
        CountDownLatch stopRequested = new CountDownLatch(1);
        AtomicBoolean running = new AtomicBoolean();
        Signals.onStop(() -> {
            stopRequested.countDown();
            if (!running.get()) {
                cluster.close();
            }
        });
        Thread hook = new Thread(() -> stop(cluster, progress, dir), "reside-dev-stop");
        Runtime.getRuntime().addShutdownHook(hook);
        progress.line((Files.exists(dir.operatorKey()) && !reset ? "resuming the dev cluster in "
                : "starting a dev cluster in ") + dir.root());
        DevCluster.Ready ready;
        try {
            ready = cluster.start(reset);
        } catch (RuntimeException e) {
            progress.line("stopping what was started...");
            cluster.close();
            removeHook(hook);
            throw e;
        }
        running.set(true);
        String context = DevContext.record(dir, ready, progress);
        System.out.println(summary(ready, dir, cluster, context));
        System.out.flush();
        stopRequested.await();
        stop(cluster, progress, dir);
        removeHook(hook);
        return ExitCodes.OK;
    }

    private static void stop(DevCluster cluster, Progress progress, DevDir dir) {
        if (cluster.isClosed()) {
            return;
        }
        progress.line("stopping: Alpha and its replicas, the simulator, the registry, etcd...");
        cluster.close();
        progress.line("stopped; the cluster is kept in " + dir.root() + ": ./reside dev resumes it");
    }

    private static void removeHook(Thread hook) {
        try {
            Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException e) {
            // the JVM is exiting already: the hook finds the cluster closed
        }
    }

    private static boolean running(AlphaApi.Replica r) {
        return r.currentVersion() != null && (!r.enabled() || "running".equals(r.currentVersion().status()));
    }

    static String summary(DevCluster.Ready ready, DevDir dir, DevCluster cluster, String context) {
        StringBuilder out = new StringBuilder();
        long notRunning = ready.replicas().stream().filter(x -> !running(x)).count();
        out.append(String.format("%nReSide dev cluster %s in %.1f s: %s.%n", ready.resumed() ? "resumed" : "started",
                ready.took().toMillis() / 1000.0, notRunning == 0 ? "everything runs"
                        : notRunning + " of the replicas loaded later do not run (see ./reside replica list)"));
        DevDir.Running r = ready.running();
        out.append(String.format("  %-26s %-28s log %s%n", "alpha", r.alpha(), cluster.relative(dir.alphaLog())));
        for (AlphaApi.Replica replica : ready.replicas()) {
            out.append(String.format("  %-26s %-28s log %s%n", replica.name() + " v" + replica.currentVersionId(),
                    running(replica) ? replica.endpoints().getOrDefault("local", "-")
                            : replica.currentVersion() == null ? "-" : replica.currentVersion().status(),
                    cluster
                            .relative(dir.logs().resolve(replica.name() + "-" + replica
                                    .currentVersionId() + ".log"))));
        }
        out.append(String.format("  %-26s %-28s data %s%n", "etcd", r.etcd(), cluster.relative(dir.etcd())));
        out.append(String.format("  %-26s %-28s images %s%n", "registry", r.registry(), cluster.relative(dir
                .registry())));
        if (r.chat() != null) {
            out.append(String.format("%nChat: open %s and write as Operator (you, with the operator's permissions),"
                    + " or run ./reside dev chat%n", r.chat()));
        } else {
            out.append(String.format("%nChat: write to your bot in Telegram (TELEGRAM_BOT_TOKEN).%n"));
        }
        if (context != null) {
            out.append(String.format("CLI: ./reside replica list, ./reside permission list ... (context '%s')%n",
                    context));
        }
        out.append("Status: ./reside dev status. Logs: ./reside dev logs <replica>. Stop: Ctrl-C (the cluster is "
                + "kept; --reset starts afresh).");
        return out.toString();
    }
}
