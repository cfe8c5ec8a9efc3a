package io.reside.testing;

import static java.util.Objects.requireNonNull;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A replica started from its packaged Quarkus application ({@code target/quarkus-app/quarkus-run.jar}) as its own JVM,
 * configured through environment variables and system properties as Alpha's local runtime would. Output is collected
 * (and echoed with a {@code [name]} prefix). {@link #close()} kills it if it still runs.
 */
public final class ReplicaProcess implements AutoCloseable {

    private final String name;
    private final int port;
    private final List<String> command;
    private final Map<String, String> env;
    private final List<String> lines = new ArrayList<>();
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build();
    private Process process;

    private ReplicaProcess(String name, Path app, int port, Map<String, String> env, Map<String, String> properties) {
        this.name = name;
        this.port = port;
        this.env = Map.copyOf(env);
        Path jar = app.resolve("quarkus-run.jar");
        if (!Files.isRegularFile(jar)) {
            throw new IllegalStateException(jar + " does not exist: build the replica first (./mvnw -B package)");
        }
        List<String> cmd = new ArrayList<>(
                List.of(JvmProcesses.javaBinary(), "-Xmx256m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1"));
        properties.forEach((k, v) -> cmd.add("-D" + k + "=" + v));
        cmd.add("-Dquarkus.http.port=" + port);
        cmd.add("-jar");
        cmd.add(jar.toString());
        this.command = List.copyOf(cmd);
    }

    /**
     * Starts a replica and returns at once; see {@link #awaitReady(Duration)}.
     *
     * @param app the {@code target/quarkus-app} directory of the replica module
     * @param env environment variables (RESIDE_ETCD_ENDPOINTS, RESIDE_ACCOUNT_KEY_FILE, ...)
     * @param properties system properties
     */
    public static ReplicaProcess start(String name, Path app, int port, Map<String, String> env,
            Map<String, String> properties) {
        ReplicaProcess p = new ReplicaProcess(requireNonNull(name, "name"), app, port, env, properties);
        p.launch();
        return p;
    }

    /** Starts it again with the same configuration (after {@link #kill()} or {@link #terminate}). */
    public void restart() {
        if (process != null && process.isAlive()) {
            throw new IllegalStateException(name + " is still running");
        }
        launch();
    }

    private void launch() {
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
        pb.environment().putAll(env);
        try {
            process = pb.start();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start " + name, e);
        }
        JvmProcesses.pumpOutput(process, name, "replica-output-" + name, line -> {
            synchronized (lines) {
                lines.add(line);
            }
        }, () -> {
        });
    }

    public String baseUrl() {
        return "http://127.0.0.1:" + port;
    }

    public int port() {
        return port;
    }

    public long pid() {
        return process.pid();
    }

    public boolean isAlive() {
        return process != null && process.isAlive();
    }

    /** The HTTP status of {@code /q/health/ready}, or -1 when it does not answer. */
    public int readiness() {
        return readiness(http, baseUrl(), Duration.ofSeconds(2));
    }

    /**
     * The HTTP status of {@code /q/health/ready} of the replica at {@code baseUrl} (one a test did not start itself,
     * such as a replica Alpha runs), or -1 when it does not answer within {@code timeout}.
     */
    public static int readiness(HttpClient http, String baseUrl, Duration timeout) {
        try {
            return http.send(HttpRequest.newBuilder(URI.create(baseUrl + "/q/health/ready"))
                    .timeout(timeout).build(), HttpResponse.BodyHandlers.discarding()).statusCode();
        } catch (IOException e) {
            return -1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return -1;
        }
    }

    /**
     * Waits until {@code /q/health/ready} answers 200.
     *
     * @throws AssertionError when it does not in time, or the process exits (with its output)
     */
    public ReplicaProcess awaitReady(Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new AssertionError(name + " exited with " + process.exitValue() + " before it was ready:\n"
                        + output());
            }
            if (readiness() == 200) {
                return this;
            }
            sleep(100);
        }
        throw new AssertionError(name + " was not ready within " + timeout + ":\n" + output());
    }

    /** SIGTERM, then waits for the exit; returns the exit code. */
    public int terminate(Duration timeout) {
        process.destroy();
        try {
            if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                throw new AssertionError(name + " did not exit within " + timeout + " of SIGTERM");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return process.exitValue();
    }

    /** SIGKILL: a crash. */
    public void kill() {
        JvmProcesses.kill(process);
    }

    public String output() {
        synchronized (lines) {
            return String.join("\n", lines);
        }
    }

    @Override
    public void close() {
        if (process != null && process.isAlive()) {
            process.destroyForcibly();
        }
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
