package io.reside.harness;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import io.reside.images.ImageBuilder;
import io.reside.images.ImageReference;
import io.reside.model.manifest.ContractManifest;
import io.reside.model.manifest.Manifest;
import io.reside.model.manifest.Manifests;

/**
 * Images of replicas built from their packaged applications and pushed to a loopback registry, named as their
 * identities say ({@code localhost:5000/reside/replicas/<name>}, {@link #IDENTITY_REGISTRY}) while the bytes go to the
 * registry's real address (Alpha is told to mirror one to the other): what {@link LocalCluster} and
 * {@code reside dev} load. A replica's contracts (found in its jars) are pushed with it, as zero-layer images tagged
 * {@code latest}, for the requirements Alpha has not seen yet.
 */
public final class LocalImages {

    /** The registry named by the identities of images built with the default prefix. */
    public static final String IDENTITY_REGISTRY = "localhost:5000";

    private final ImageBuilder builder;
    private final String registryAddress;

    /**
     * @param registryAddress where the registry really listens ({@code 127.0.0.1:<port>})
     */
    public LocalImages(ImageBuilder builder, String registryAddress) {
        this.builder = builder;
        this.registryAddress = registryAddress;
    }

    /** A pushed replica image: the reference to load (as its identity names it) and its digest. */
    public record Pushed(String image, String digest) {
    }

    /** The value of Alpha's {@code alpha.registry.mirror} that makes it read images pushed to this registry. */
    public static String mirror(String registryAddress) {
        return IDENTITY_REGISTRY + "=" + registryAddress;
    }

    /**
     * Builds and pushes a replica's image and its contracts' images.
     *
     * @param quarkusApp the replica module's {@code target/quarkus-app}
     */
    public Pushed push(Path quarkusApp, String tag) {
        for (ContractManifest contract : contractsIn(quarkusApp)) {
            pushContract(contract, "latest");
        }
        String identity = identity(quarkusApp);
        ImageBuilder.Built built = builder.buildReplica(quarkusApp, ImageBuilder.SCRATCH, mirrored(ImageReference
                .parse(identity + ":" + tag)));
        return new Pushed(identity + ":" + tag, built.digest());
    }

    /**
     * Builds and pushes a contract's zero-layer image, named {@code <identity>:<tag>}.
     *
     * @return the image as its identity names it, and its digest
     */
    public Pushed pushContract(ContractManifest contract, String tag) {
        String image = contract.identity() + ":" + tag;
        return new Pushed(image, builder.buildContract(Manifests.toJson(contract), mirrored(ImageReference.parse(
                image))).digest());
    }

    /** The identity of the replica packaged in {@code quarkusApp}, from its manifest. */
    public static String identity(Path quarkusApp) {
        return Manifests.parse(replicaManifest(quarkusApp), quarkusApp.toString()).identity();
    }

    private ImageReference mirrored(ImageReference ref) {
        String registry = ref.registry().equals(IDENTITY_REGISTRY) ? registryAddress : ref.registry();
        return new ImageReference(registry, ref.repository(), ref.tag(), null);
    }

    private static String replicaManifest(Path quarkusApp) {
        for (Manifest m : manifestsIn(quarkusApp.resolve("app"))) {
            if (!(m instanceof ContractManifest)) {
                return Manifests.toJson(m);
            }
        }
        throw new IllegalArgumentException(quarkusApp + " holds no replica manifest: is it a replica module?");
    }

    private static List<ContractManifest> contractsIn(Path quarkusApp) {
        List<ContractManifest> result = new ArrayList<>();
        for (Path dir : List.of(quarkusApp.resolve("app"), quarkusApp.resolve("lib/main"))) {
            for (Manifest m : manifestsIn(dir)) {
                if (m instanceof ContractManifest c) {
                    result.add(c);
                }
            }
        }
        return result;
    }

    private static List<Manifest> manifestsIn(Path dir) {
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        List<Manifest> result = new ArrayList<>();
        try (Stream<Path> jars = Files.list(dir)) {
            for (Path jar : jars.filter(p -> p.toString().endsWith(".jar")).sorted().toList()) {
                result.addAll(Manifests.readJar(jar));
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return result;
    }
}
