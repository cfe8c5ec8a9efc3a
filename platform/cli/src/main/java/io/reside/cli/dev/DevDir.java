package io.reside.cli.dev;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Optional;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;

/**
 * The state directory of {@code reside dev} ({@code .reside/dev} in the repository): everything a resumed cluster
 * needs, and nothing outside it.
 *
 * <pre>
 * etcd/              etcd's member (data kept), etcd.log
 * registry/          the registry's storage and registry.log
 * alpha/             Alpha's local-runtime state: unpacked images, replicas' keys (0600), logs/, run/, secrets/
 * alpha.pem          Alpha's account key (0600)
 * operator.pem       the operator's account key (0600): the super-admin of this cluster
 * alpha.log          Alpha's output
 * ports.json         the ports chosen on the first start, kept so that resuming finds etcd's member and the chat page
 * images.json        what was built and loaded last, to skip unchanged replicas
 * simulator.token    the simulated bot's token (0600), the same on every start
 * running.json       what runs now (pids, addresses): for status, logs, chat, and to clean up after a killed reside dev
 * dev.lock           held while a reside dev runs: a second one is refused
 * </pre>
 */
public record DevDir(Path root) {

    static final ObjectMapper JSON = new ObjectMapper().registerModule(new JavaTimeModule())
            .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS).enable(SerializationFeature.INDENT_OUTPUT);

    /** The environment variable that moves the default state directory (for every {@code reside} command). */
    public static final String ENV = "RESIDE_DEV_DIR";

    /**
     * The default: {@code $RESIDE_DEV_DIR}, else {@code .reside/dev} under the repository ({@code reside.home}, set
     * by {@code ./reside}).
     */
    public static DevDir defaultFor(Path home) {
        String env = System.getenv(ENV);
        return new DevDir((env != null && !env.isBlank() ? Path.of(env) : home.resolve(".reside").resolve("dev"))
                .toAbsolutePath().normalize());
    }

    public Path etcd() {
        return root.resolve("etcd");
    }

    public Path registry() {
        return root.resolve("registry");
    }

    public Path alphaState() {
        return root.resolve("alpha");
    }

    public Path alphaKey() {
        return root.resolve("alpha.pem");
    }

    public Path operatorKey() {
        return root.resolve("operator.pem");
    }

    public Path alphaLog() {
        return root.resolve("alpha.log");
    }

    public Path lock() {
        return root.resolve("dev.lock");
    }

    public Path logs() {
        return alphaState().resolve("logs");
    }

    /** The ports chosen on the first start. */
    public record Ports(int etcdClient, int etcdPeer, int alpha, int chat) {
    }

    /** What runs now: written once the cluster is ready, removed when it stops. */
    public record Running(long pid, long etcdPid, long registryPid, long alphaPid, String etcd, String registry,
            String alpha, String chat, Long operatorChatUser, java.time.Instant readyAt) {
    }

    public Optional<Ports> ports() {
        return read("ports.json", Ports.class);
    }

    public Optional<Running> running() {
        return read("running.json", Running.class);
    }

    void write(String name, Object value) {
        try {
            Path tmp = root.resolve(name + ".tmp");
            Files.writeString(tmp, JSON.writeValueAsString(value));
            Files.move(tmp, root.resolve(name), java.nio.file.StandardCopyOption.REPLACE_EXISTING,
                    java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + root.resolve(name) + ": " + e.getMessage(), e);
        }
    }

    <T> Optional<T> read(String name, Class<T> type) {
        Path file = root.resolve(name);
        if (!Files.isRegularFile(file)) {
            return Optional.empty();
        }
        try {
            return Optional.of(JSON.readValue(file.toFile(), type));
        } catch (IOException e) {
            throw new UncheckedIOException(file + " does not parse (" + e.getMessage() + "): start afresh with "
                    + "./reside dev --reset", e);
        }
    }

    void delete(String name) {
        try {
            Files.deleteIfExists(root.resolve(name));
        } catch (IOException e) {
            // a stale file is harmless: running.json is only believed while dev.lock is held
        }
    }

    /**
     * The password of etcd's {@code root} user, which Alpha connects as and turns etcd's auth on with (docs/adr/0008):
     * made on the first start, kept with the etcd data it protects.
     */
    public String etcdRootPassword() {
        Path file = root.resolve("etcd-root-password");
        try {
            if (Files.isRegularFile(file)) {
                return Files.readString(file).strip();
            }
            Files.createDirectories(root);
            byte[] random = new byte[24];
            new java.security.SecureRandom().nextBytes(random);
            String password = java.util.Base64.getUrlEncoder().withoutPadding().encodeToString(random);
            Path partial = root.resolve("etcd-root-password.partial");
            writePrivate(partial, password);
            Files.move(partial, file, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
            return password;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read or make " + file + ": " + e.getMessage(), e);
        }
    }

    /** Writes a file only its owner may read. */
    static void writePrivate(Path file, String content) throws IOException {
        Files.deleteIfExists(file);
        Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        Files.writeString(file, content);
    }
}
