package io.reside.images;

import static java.util.Objects.requireNonNull;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.function.DoubleConsumer;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;

import com.google.cloud.tools.jib.api.CacheDirectoryCreationException;
import com.google.cloud.tools.jib.api.Containerizer;
import com.google.cloud.tools.jib.api.InvalidImageReferenceException;
import com.google.cloud.tools.jib.api.Jib;
import com.google.cloud.tools.jib.api.JibContainer;
import com.google.cloud.tools.jib.api.JibContainerBuilder;
import com.google.cloud.tools.jib.api.RegistryException;
import com.google.cloud.tools.jib.api.RegistryImage;
import com.google.cloud.tools.jib.api.TarImage;
import com.google.cloud.tools.jib.api.buildplan.AbsoluteUnixPath;
import com.google.cloud.tools.jib.api.buildplan.FileEntriesLayer;
import com.google.cloud.tools.jib.event.events.ProgressEvent;
import com.google.cloud.tools.jib.event.progress.ProgressEventHandler;

/**
 * Builds and pushes ReSide images with Jib, without a Docker daemon: a replica image from a packaged Quarkus
 * application ({@code target/quarkus-app}, fast-jar layout), its manifest label taken from the application jar's
 * {@code META-INF/reside/manifest.json}; and a contract image of zero layers, only the config with the label.
 * <p>
 * A replica image runs {@code java -jar /app/quarkus-run.jar}. Its base is configurable: a JRE base in production,
 * {@code scratch} for local development and tests, where Alpha's local runtime runs the application from the
 * pulled layers with the host's JVM (and no public registry is reachable).
 */
public final class ImageBuilder {

    /** The base that adds nothing: the layers are the application alone. */
    public static final String SCRATCH = "scratch";
    public static final String APP_DIR = "/app";
    public static final String REPLICA_MANIFEST = "META-INF/reside/manifest.json";

    private final RegistryClient.Options registry;
    private final Path cache;
    private final DoubleConsumer progress;

    /** @param cache where Jib keeps layers it built or pulled, between builds */
    public ImageBuilder(RegistryClient.Options registry, Path cache) {
        this(registry, cache, fraction -> {
        });
    }

    private ImageBuilder(RegistryClient.Options registry, Path cache, DoubleConsumer progress) {
        this.registry = requireNonNull(registry, "registry");
        this.cache = requireNonNull(cache, "cache");
        this.progress = requireNonNull(progress, "progress");
    }

    /**
     * The same builder, telling {@code progress} how far each build is (0 to 1, from Jib's progress events, on Jib's
     * threads) while it builds and pushes.
     */
    public ImageBuilder withProgress(DoubleConsumer progress) {
        return new ImageBuilder(registry, cache, progress);
    }

    /** What was pushed. */
    public record Built(ImageReference image, String digest) {
    }

    /**
     * Builds a replica image from a packaged Quarkus application and pushes it as {@code target}.
     *
     * @param quarkusApp the {@code target/quarkus-app} directory
     * @param base {@link #SCRATCH} or a base image reference
     * @throws IllegalArgumentException when the directory is not a Quarkus fast-jar or its jar has no manifest
     */
    public Built buildReplica(Path quarkusApp, String base, ImageReference target) {
        return containerize(replicaImage(quarkusApp, base), target, null);
    }

    /**
     * Builds a replica image as {@link #buildReplica} does, into an OCI image archive (a tar file, named
     * {@code name} inside) instead of a registry.
     */
    public Built buildReplicaTar(Path quarkusApp, String base, ImageReference name, Path tar) {
        return containerize(replicaImage(quarkusApp, base), name, requireNonNull(tar, "tar"));
    }

    /** Builds the zero-layer image of a contract as {@link #buildContract} does, into an OCI image archive. */
    public Built buildContractTar(String manifestJson, ImageReference name, Path tar) {
        return containerize(contractImage(manifestJson), name, requireNonNull(tar, "tar"));
    }

    private JibContainerBuilder replicaImage(Path quarkusApp, String base) {
        if (!Files.isRegularFile(quarkusApp.resolve("quarkus-run.jar"))) {
            throw new IllegalArgumentException(quarkusApp + " is not a packaged Quarkus application (no "
                    + "quarkus-run.jar): build the replica module first ('./mvnw package')");
        }
        String manifest = replicaManifest(quarkusApp).orElseThrow(() -> new IllegalArgumentException(
                "no jar in " + quarkusApp.resolve("app") + " has " + REPLICA_MANIFEST + ": is the module a replica "
                        + "built with reside-manifest-processor (a class annotated @Replica)?"));
        try {
            JibContainerBuilder image = SCRATCH.equals(base) ? Jib.fromScratch() : Jib.from(base);
            // dependencies change less often than the application: their own layer, cached apart
            image.addFileEntriesLayer(layer("libraries", quarkusApp, "lib"));
            image.addFileEntriesLayer(layer("quarkus", quarkusApp, "quarkus"));
            FileEntriesLayer.Builder app = FileEntriesLayer.builder().setName("application")
                    .addEntry(quarkusApp.resolve("quarkus-run.jar"),
                            AbsoluteUnixPath.get(APP_DIR + "/quarkus-run.jar"));
            addRecursive(app, quarkusApp, "app");
            image.addFileEntriesLayer(app.build());
            image.setEntrypoint(List.of("java", "-jar", APP_DIR + "/quarkus-run.jar"))
                    .setWorkingDirectory(AbsoluteUnixPath.get(APP_DIR))
                    .setLabels(Map.of(RegistryClient.MANIFEST_LABEL, base64(manifest)));
            return image;
        } catch (InvalidImageReferenceException e) {
            throw new IllegalArgumentException("base image '" + base + "' is not an image reference: "
                    + e.getMessage(), e);
        } catch (IOException e) {
            throw new IllegalStateException("cannot read " + quarkusApp + ": " + e.getMessage(), e);
        }
    }

    /** Builds the zero-layer image of a contract (its manifest JSON as the label) and pushes it as {@code target}. */
    public Built buildContract(String manifestJson, ImageReference target) {
        return containerize(contractImage(manifestJson), target, null);
    }

    private static JibContainerBuilder contractImage(String manifestJson) {
        return Jib.fromScratch().setLabels(Map.of(RegistryClient.MANIFEST_LABEL, base64(manifestJson)));
    }

    /** The manifest JSON in the jars of {@code quarkus-app/app}. */
    static Optional<String> replicaManifest(Path quarkusApp) {
        Path appDir = quarkusApp.resolve("app");
        if (!Files.isDirectory(appDir)) {
            return Optional.empty();
        }
        try (Stream<Path> jars = Files.list(appDir)) {
            for (Path jar : jars.filter(p -> p.toString().endsWith(".jar")).sorted().toList()) {
                try (ZipFile zip = new ZipFile(jar.toFile())) {
                    ZipEntry entry = zip.getEntry(REPLICA_MANIFEST);
                    if (entry != null) {
                        try (InputStream in = zip.getInputStream(entry)) {
                            return Optional.of(new String(in.readAllBytes(), StandardCharsets.UTF_8));
                        }
                    }
                }
            }
            return Optional.empty();
        } catch (IOException e) {
            throw new IllegalStateException("cannot read the jars of " + appDir + ": " + e.getMessage(), e);
        }
    }

    /** Pushes to the registry of {@code target}, or writes {@code tar} when it is not null. */
    private Built containerize(JibContainerBuilder image, ImageReference target, Path tar) {
        try {
            com.google.cloud.tools.jib.api.ImageReference ref = com.google.cloud.tools.jib.api.ImageReference.parse(
                    target.toString());
            Containerizer to = tar != null ? Containerizer.to(TarImage.at(tar).named(ref))
                    : Containerizer.to(RegistryImage.named(ref)).setAllowInsecureRegistries(new RegistryClient(
                            registry).isPlainHttpAllowed(target.registry()));
            to.setBaseImageLayersCache(cache.resolve("base"))
                    .setApplicationLayersCache(cache.resolve("application"))
                    .setToolName("reside")
                    .addEventHandler(ProgressEvent.class, new ProgressEventHandler(u -> progress.accept(u
                            .getProgress())));
            JibContainer pushed = image.containerize(to);
            return new Built(target.withDigest(pushed.getDigest().toString()), pushed.getDigest().toString());
        } catch (InvalidImageReferenceException e) {
            throw new IllegalArgumentException("image '" + target + "': " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while pushing " + target, e);
        } catch (ExecutionException | RegistryException | IOException | CacheDirectoryCreationException e) {
            Throwable cause = e instanceof ExecutionException && e.getCause() != null ? e.getCause() : e;
            throw new io.reside.images.RegistryException(io.reside.images.RegistryException.Kind.UNREACHABLE,
                    (tar != null ? "writing " + tar : "pushing " + target) + " failed: " + cause.getMessage());
        }
    }

    private static FileEntriesLayer layer(String name, Path quarkusApp, String dir) throws IOException {
        FileEntriesLayer.Builder b = FileEntriesLayer.builder().setName(name);
        addRecursive(b, quarkusApp, dir);
        return b.build();
    }

    private static void addRecursive(FileEntriesLayer.Builder layer, Path quarkusApp, String dir) throws IOException {
        Path source = quarkusApp.resolve(dir);
        if (Files.isDirectory(source)) {
            layer.addEntryRecursive(source, AbsoluteUnixPath.get(APP_DIR + "/" + dir));
        }
    }

    private static String base64(String json) {
        return Base64.getEncoder().encodeToString(json.getBytes(StandardCharsets.UTF_8));
    }
}
