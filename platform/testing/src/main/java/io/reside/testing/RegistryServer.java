package io.reside.testing;

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
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A real OCI registry on loopback, for tests and local development: Debian's {@code docker-registry} (the CNCF
 * Distribution registry) started as {@code docker-registry serve <config>} on a free port, with its storage in a
 * temporary directory (or a given one, kept). {@link #close()} stops it and deletes a temporary directory.
 * <p>
 * The binary is {@link #BINARY_PROPERTY}, else {@link #BINARY_ENV}, else {@code docker-registry} on the {@code PATH},
 * else {@code /usr/bin/docker-registry}.
 */
public final class RegistryServer implements AutoCloseable {

    public static final String BINARY_ENV = "RESIDE_REGISTRY_BINARY";
    public static final String BINARY_PROPERTY = "reside.registry.binary";

    private final Path root;
    private final boolean temporary;
    private final Path logFile;
    private final int port;
    private final Process process;
    private final Thread shutdownHook;

    private RegistryServer(Path binary, Path storage, boolean temporary, boolean detached, Duration startTimeout) {
        this.temporary = temporary;
        this.root = storage;
        try {
            Files.createDirectories(storage.resolve("data"));
            this.port = freePort();
            this.logFile = storage.resolve("registry.log");
            Path config = storage.resolve("config.yml");
            Files.writeString(config, """
                    version: 0.1
                    log:
                      level: warn
                    storage:
                      filesystem:
                        rootdirectory: %s
                      delete:
                        enabled: true
                    http:
                      addr: 127.0.0.1:%d
                    """.formatted(storage.resolve("data"), port));
            List<String> command = List.of(binary.toString(), "serve", config.toString());
            this.process = new ProcessBuilder(detached ? OwnSession.wrap(command) : command)
                    .redirectErrorStream(true).redirectOutput(logFile.toFile()).start();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start the registry " + binary + ": " + e.getMessage(), e);
        }
        this.shutdownHook = detached ? null : new Thread(process::destroyForcibly, "registry-server-shutdown");
        if (shutdownHook != null) {
            Runtime.getRuntime().addShutdownHook(shutdownHook);
        }
        awaitReady(startTimeout);
    }

    /** A registry with temporary storage, deleted by {@link #close()}. */
    public static RegistryServer start() {
        try {
            return new RegistryServer(resolveBinary(), Files.createTempDirectory("reside-registry-"), true, false,
                    Duration.ofSeconds(30));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create a temporary directory for the registry", e);
        }
    }

    /** A registry keeping its storage in {@code storage} (created if needed, kept by {@link #close()}). */
    public static RegistryServer start(Path storage) {
        return new RegistryServer(resolveBinary(), storage, false, false, Duration.ofSeconds(30));
    }

    /**
     * A registry that a command owns ({@code reside dev}): its storage kept in {@code storage}, run in a session of
     * its own ({@link OwnSession}: a Ctrl-C in the terminal does not reach it) and not killed by a shutdown hook, so
     * that the owner stops it after what depends on it.
     */
    public static RegistryServer startDetached(Path storage) {
        return new RegistryServer(resolveBinary(), storage, false, true, Duration.ofSeconds(30));
    }

    /** {@code 127.0.0.1:<port>}: the registry part of image names pushed here. */
    public String address() {
        return "127.0.0.1:" + port;
    }

    /** {@code http://127.0.0.1:<port>}. */
    public URI url() {
        return URI.create("http://" + address());
    }

    public long pid() {
        return process.pid();
    }

    public int port() {
        return port;
    }

    /** The last lines the registry logged, for failure messages. */
    public String logTail(int lines) {
        try {
            List<String> all = Files.readAllLines(logFile, StandardCharsets.UTF_8);
            return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
        } catch (IOException e) {
            return "";
        }
    }

    @Override
    public void close() {
        process.destroy();
        try {
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.destroyForcibly();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            process.destroyForcibly();
        }
        try {
            if (shutdownHook != null) {
                Runtime.getRuntime().removeShutdownHook(shutdownHook);
            }
        } catch (IllegalStateException e) {
            // shutting down already
        }
        if (temporary) {
            try (Stream<Path> files = Files.walk(root)) {
                files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            } catch (IOException e) {
                // best effort
            }
        }
    }

    private void awaitReady(Duration timeout) {
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build();
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new IllegalStateException("the registry exited at start (code " + process.exitValue() + "): "
                        + logTail(20));
            }
            try {
                HttpResponse<Void> r = http.send(HttpRequest.newBuilder(url().resolve("/v2/"))
                        .timeout(Duration.ofSeconds(1)).build(), HttpResponse.BodyHandlers.discarding());
                if (r.statusCode() == 200) {
                    return;
                }
            } catch (IOException e) {
                // not listening yet
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while starting the registry", e);
            }
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while starting the registry", e);
            }
        }
        close();
        throw new IllegalStateException("the registry did not answer on " + url() + " within " + timeout + ": "
                + logTail(20));
    }

    /**
     * The registry binary this machine would use.
     *
     * @throws IllegalStateException when there is none, saying how to install it
     */
    public static Path binary() {
        return resolveBinary();
    }

    static Path resolveBinary() {
        String configured = Optional.ofNullable(System.getProperty(BINARY_PROPERTY))
                .orElse(System.getenv(BINARY_ENV));
        if (configured != null && !configured.isBlank()) {
            Path p = Path.of(configured);
            if (!Files.isExecutable(p)) {
                throw new IllegalStateException("the registry binary " + p + " (" + BINARY_PROPERTY + " / "
                        + BINARY_ENV + ") is not an executable file");
            }
            return p;
        }
        return EtcdServer.findOnPath("docker-registry").or(() -> Optional.of(Path.of("/usr/bin/docker-registry"))
                .filter(Files::isExecutable)).orElseThrow(() -> new IllegalStateException(
                        "registry binary not "
                                + "found: 'docker-registry' is not on the PATH and " + BINARY_ENV
                                + " is not set. On Debian or "
                                + "Ubuntu run 'sudo apt-get install -y docker-registry' (it provides /usr/bin/docker-registry); "
                                + "elsewhere build github.com/distribution/distribution and set " + BINARY_ENV
                                + "=/path/to/registry."));
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }
}
