package io.reside.testing;

import static java.util.Objects.requireNonNull;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import org.jboss.logging.Logger;

/**
 * A real etcd member started from the {@code etcd} binary, for tests and benchmarks.
 * <p>
 * It listens on free loopback ports, keeps its data in a temporary directory, and can be stopped, restarted on the
 * same ports with the same data, paused (SIGSTOP) and resumed, so tests can inject faults. {@link #close()} stops
 * it and deletes the directory. Not thread-safe: one test drives it.
 * <p>
 * The binary is looked up in this order: {@link Builder#binary(Path)}, the system property {@value #BINARY_PROPERTY},
 * the environment variable {@value #BINARY_ENV}, then {@code etcd} on the {@code PATH}.
 */
public final class EtcdServer implements AutoCloseable {

    public static final String BINARY_ENV = "RESIDE_ETCD_BINARY";
    public static final String BINARY_PROPERTY = "reside.etcd.binary";

    private static final Logger LOG = Logger.getLogger(EtcdServer.class);
    private static final int PORT_ATTEMPTS = 3;

    private final Path binary;
    private final String name;
    private final Duration startTimeout;
    private final List<String> extraArgs;
    private final Path root;
    private final boolean keep;
    private final int fixedClientPort;
    private final int fixedPeerPort;
    private final boolean detached;
    private final Path dataDir;
    private final Path logFile;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build();
    private final Thread shutdownHook;

    private int clientPort;
    private int peerPort;
    private Process process;
    private boolean closed;

    private EtcdServer(Builder builder) {
        this.binary = resolveBinary(builder.binary);
        this.name = builder.name;
        this.startTimeout = builder.startTimeout;
        this.extraArgs = List.copyOf(builder.extraArgs);
        this.keep = builder.directory != null;
        this.fixedClientPort = builder.clientPort;
        this.fixedPeerPort = builder.peerPort;
        this.detached = builder.detached;
        try {
            this.root = keep ? Files.createDirectories(builder.directory) : Files.createTempDirectory("reside-etcd-");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create the directory for etcd: " + e.getMessage(), e);
        }
        this.dataDir = root.resolve("data");
        this.logFile = root.resolve("etcd.log");
        // never leave an etcd behind when a test JVM exits without closing it (a detached member's owner stops it)
        this.shutdownHook = new Thread(this::destroyQuietly, "etcd-server-shutdown");
        if (!detached) {
            Runtime.getRuntime().addShutdownHook(shutdownHook);
        }
    }

    /** Starts a member with the defaults: free loopback ports, 30 s to become healthy. */
    public static EtcdServer start() {
        return builder().start();
    }

    public static Builder builder() {
        return new Builder();
    }

    /** The client URL, e.g. {@code http://127.0.0.1:40123}. */
    public String endpoint() {
        return "http://127.0.0.1:" + clientPort;
    }

    public int clientPort() {
        return clientPort;
    }

    public Path dataDir() {
        return dataDir;
    }

    /** The process id of the running member. */
    public long pid() {
        requireRunning();
        return process.pid();
    }

    public boolean isRunning() {
        return process != null && process.isAlive();
    }

    /** Stops the member gracefully (SIGTERM) and waits for it to exit; the data stays. Idempotent. */
    public void stop() {
        if (process == null) {
            return;
        }
        resumeIfPaused();
        process.destroy();
        waitForExit(Duration.ofSeconds(20));
        process = null;
    }

    /** Kills the member (SIGKILL), as a crash would; the data stays. */
    public void kill() {
        if (process == null) {
            return;
        }
        process.destroyForcibly();
        waitForExit(Duration.ofSeconds(20));
        process = null;
    }

    /** Starts the member again on the same ports with the same data; stops it first if it runs. */
    public void restart() {
        stop();
        launch();
        awaitHealthy();
    }

    /** Freezes the member (SIGSTOP): connections stay open but nothing answers, like a stalled node. */
    public void pause() {
        signal("STOP");
        awaitStopped();
    }

    /**
     * SIGSTOP takes effect asynchronously: a thread already running may still answer a request. Waits (up to 5 s)
     * until every thread of the process is stopped, as {@code /proc/<pid>/task/<tid>/stat} reports (state T).
     */
    private void awaitStopped() {
        java.nio.file.Path tasks = java.nio.file.Path.of("/proc", Long.toString(process.pid()), "task");
        if (!Files.isDirectory(tasks)) {
            return; // not Linux: nothing to wait on
        }
        long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(5);
        while (System.nanoTime() < deadline) {
            try (java.util.stream.Stream<java.nio.file.Path> threads = Files.list(tasks)) {
                if (threads.allMatch(EtcdServer::isStopped)) {
                    return;
                }
            } catch (java.io.IOException e) {
                return;
            }
            Thread.onSpinWait();
        }
    }

    private static boolean isStopped(java.nio.file.Path task) {
        try {
            String stat = Files.readString(task.resolve("stat"));
            // pid (comm) state ...: the state follows the last ')'
            char state = stat.charAt(stat.lastIndexOf(')') + 2);
            return state == 'T' || state == 't';
        } catch (java.io.IOException | RuntimeException e) {
            return true; // the thread is gone
        }
    }

    /** Resumes a member frozen by {@link #pause()} (SIGCONT). */
    public void resume() {
        signal("CONT");
    }

    /** The last lines etcd logged, for failure messages. */
    public String logTail(int lines) {
        try {
            if (!Files.exists(logFile)) {
                return "";
            }
            List<String> all = Files.readAllLines(logFile, StandardCharsets.UTF_8);
            return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
        } catch (IOException e) {
            return "(cannot read " + logFile + ": " + e.getMessage() + ")";
        }
    }

    /** Stops the member and deletes its data. Idempotent. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            stop();
        } finally {
            if (!keep) {
                deleteRecursively(root);
            }
            try {
                if (!detached) {
                    Runtime.getRuntime().removeShutdownHook(shutdownHook);
                }
            } catch (IllegalStateException e) {
                // the JVM is already shutting down: the hook runs anyway
            }
        }
    }

    @Override
    public String toString() {
        return "etcd " + name + " at " + endpoint() + (isRunning() ? "" : " (stopped)");
    }

    private EtcdServer startFirstTime() {
        IllegalStateException last = null;
        boolean fixed = fixedClientPort > 0;
        // a member already on these ports would answer this one's health check: refuse before starting
        if (fixed && (!portFree(fixedClientPort) || !portFree(fixedPeerPort))) {
            close();
            throw new IllegalStateException("etcd cannot listen on 127.0.0.1:" + fixedClientPort + " or :"
                    + fixedPeerPort + ": another process holds the port; stop it or choose other ports");
        }
        for (int attempt = 1; attempt <= (fixed ? 1 : PORT_ATTEMPTS); attempt++) {
            clientPort = fixed ? fixedClientPort : freePort();
            peerPort = fixed ? fixedPeerPort : freePort();
            launch();
            try {
                awaitHealthy();
                LOG.debugf("started %s (data in %s)", this, dataDir);
                return this;
            } catch (IllegalStateException e) {
                // another process may have taken a port between probing and binding: try other ports
                boolean portTaken = logTail(50).contains("address already in use");
                kill();
                if (!portTaken || fixed) {
                    close();
                    throw portTaken ? new IllegalStateException("etcd cannot listen on 127.0.0.1:" + clientPort
                            + " or :" + peerPort + ": another process holds the port; stop it or choose other ports",
                            e) : e;
                }
                last = e;
            }
        }
        close();
        throw last;
    }

    private void launch() {
        if (closed) {
            throw new IllegalStateException("this etcd server is closed");
        }
        String client = "http://127.0.0.1:" + clientPort;
        String peer = "http://127.0.0.1:" + peerPort;
        List<String> command = new ArrayList<>(List.of(
                binary.toString(),
                "--name", name,
                "--data-dir", dataDir.toString(),
                "--listen-client-urls", client,
                "--advertise-client-urls", client,
                "--listen-peer-urls", peer,
                "--initial-advertise-peer-urls", peer,
                "--initial-cluster", name + "=" + peer,
                "--initial-cluster-state", "new",
                "--logger", "zap",
                "--log-outputs", "stderr",
                "--log-level", "warn"));
        command.addAll(extraArgs);
        ProcessBuilder pb = new ProcessBuilder(detached ? OwnSession.wrap(command) : command)
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(logFile.toFile()));
        try {
            process = pb.start();
        } catch (IOException e) {
            throw new IllegalStateException("cannot run " + binary + ": " + e.getMessage() + ". " + installHint(), e);
        }
    }

    private void awaitHealthy() {
        long deadline = System.nanoTime() + startTimeout.toNanos();
        HttpRequest request = HttpRequest.newBuilder(URI.create(endpoint() + "/health"))
                .timeout(Duration.ofSeconds(1)).GET().build();
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new IllegalStateException("etcd exited with code " + process.exitValue()
                        + " while starting; its log ends with:\n" + logTail(30));
            }
            try {
                HttpResponse<String> response = http.send(request, HttpResponse.BodyHandlers.ofString());
                if (response.statusCode() == 200 && response.body().contains("\"health\":\"true\"")) {
                    return;
                }
            } catch (IOException e) {
                // not listening yet
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while waiting for etcd to start", e);
            }
            sleep(50);
        }
        throw new IllegalStateException("etcd did not become healthy at " + endpoint() + " within " + startTimeout
                + "; its log ends with:\n" + logTail(30));
    }

    private void waitForExit(Duration timeout) {
        try {
            if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            process.destroyForcibly();
        }
    }

    private void signal(String signal) {
        requireRunning();
        ProcessSignals.send(process.toHandle(), signal);
    }

    private void resumeIfPaused() {
        if (process != null && process.isAlive()) {
            ProcessSignals.send(process.toHandle(), "CONT");
        }
    }

    private void requireRunning() {
        if (!isRunning()) {
            throw new IllegalStateException(this + " is not running");
        }
    }

    private void destroyQuietly() {
        Process p = process;
        if (p != null) {
            p.destroyForcibly();
        }
    }

    /**
     * The etcd binary this machine would use ({@link #BINARY_PROPERTY}, {@link #BINARY_ENV}, the {@code PATH}).
     *
     * @throws IllegalStateException when there is none, saying how to install it
     */
    public static Path binary() {
        return resolveBinary(null);
    }

    static Path resolveBinary(Path explicit) {
        if (explicit != null) {
            return requireExecutable(explicit, "the configured etcd binary");
        }
        String property = System.getProperty(BINARY_PROPERTY);
        if (property != null && !property.isBlank()) {
            return requireExecutable(Path.of(property), "-D" + BINARY_PROPERTY);
        }
        String env = System.getenv(BINARY_ENV);
        if (env != null && !env.isBlank()) {
            return requireExecutable(Path.of(env), BINARY_ENV);
        }
        return findOnPath("etcd").orElseThrow(() -> new IllegalStateException(
                "etcd binary not found: it is not on the PATH and " + BINARY_ENV + " is not set. " + installHint()));
    }

    private static Path requireExecutable(Path path, String source) {
        if (!Files.isRegularFile(path) || !Files.isExecutable(path)) {
            throw new IllegalStateException(
                    "etcd binary not found: " + source + " points to " + path + ", which is not an executable file. "
                            + installHint());
        }
        return path;
    }

    private static String installHint() {
        return "Install etcd 3.4 or newer: on Debian or Ubuntu run 'sudo apt-get install -y etcd-server' "
                + "(it provides /usr/bin/etcd); elsewhere download a release from "
                + "https://github.com/etcd-io/etcd/releases and set " + BINARY_ENV + "=/path/to/etcd.";
    }

    /** The first executable file of this name in a directory of the PATH. */
    static Optional<Path> findOnPath(String executable) {
        String path = System.getenv("PATH");
        if (path == null) {
            return Optional.empty();
        }
        return Stream.of(path.split(File.pathSeparator))
                .filter(dir -> !dir.isBlank())
                .map(dir -> Path.of(dir, executable))
                .filter(p -> Files.isRegularFile(p) && Files.isExecutable(p))
                .findFirst();
    }

    private static boolean portFree(int port) {
        try (ServerSocket ignored = new ServerSocket(port, 1, InetAddress.getLoopbackAddress())) {
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    private static int freePort() {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot find a free loopback port", e);
        }
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }

    private static void deleteRecursively(Path dir) {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(dir)) {
            paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            LOG.warnf("cannot delete %s: %s", dir, e.getMessage());
        }
    }

    /** Options for a test etcd member. */
    public static final class Builder {
        private Path binary;
        private String name = "reside-test";
        private Duration startTimeout = Duration.ofSeconds(30);
        private final List<String> extraArgs = new ArrayList<>();
        private Path directory;
        private int clientPort;
        private int peerPort;
        private boolean detached;

        private Builder() {
        }

        /** The etcd executable; by default {@value EtcdServer#BINARY_ENV} or {@code etcd} on the PATH. */
        public Builder binary(Path binary) {
            this.binary = requireNonNull(binary, "binary");
            return this;
        }

        /** The member name (default {@code reside-test}). */
        public Builder name(String name) {
            this.name = requireNonNull(name, "name");
            return this;
        }

        /** How long to wait for the member to answer its health check (default 30 s). */
        public Builder startTimeout(Duration startTimeout) {
            this.startTimeout = requireNonNull(startTimeout, "startTimeout");
            return this;
        }

        /**
         * Keeps the member's data and log in {@code directory} ({@code data/}, {@code etcd.log}), where a later member
         * started on it finds them again; {@link EtcdServer#close()} then stops it without deleting anything. Default:
         * a temporary directory, deleted on close.
         */
        public Builder directory(Path directory) {
            this.directory = requireNonNull(directory, "directory");
            return this;
        }

        /**
         * Listens on these loopback ports instead of free ones (a kept member restarted later must find its peer URL
         * where its data says it is). A port taken by another process fails the start, saying so.
         */
        public Builder ports(int client, int peer) {
            if (client < 1 || client > 65535 || peer < 1 || peer > 65535 || client == peer) {
                throw new IllegalArgumentException("etcd ports must be two different ports from 1 to 65535, not "
                        + client + " and " + peer);
            }
            this.clientPort = client;
            this.peerPort = peer;
            return this;
        }

        /**
         * For a member that a command owns ({@code reside dev}) rather than a test: it runs in a session of its own
         * ({@link OwnSession}: a Ctrl-C in the terminal does not reach it) and no shutdown hook kills it, so the
         * owner stops it after what depends on it. Default: a test's member, killed when the JVM exits.
         */
        public Builder detached() {
            this.detached = true;
            return this;
        }

        /** More etcd flags, e.g. {@code --max-txn-ops=16}. */
        public Builder arg(String arg) {
            extraArgs.add(requireNonNull(arg, "arg"));
            return this;
        }

        /**
         * Starts the member and waits until it is healthy.
         *
         * @throws IllegalStateException when the binary is missing (the message says how to install it) or etcd
         *         does not become healthy (the message carries the end of its log)
         */
        public EtcdServer start() {
            return new EtcdServer(this).startFirstTime();
        }
    }
}
