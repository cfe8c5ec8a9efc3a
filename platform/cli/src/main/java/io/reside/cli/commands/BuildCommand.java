package io.reside.cli.commands;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import io.reside.cli.CliException;
import io.reside.cli.ExitCodes;
import io.reside.cli.Output;
import io.reside.cli.Progress;
import io.reside.cli.dev.DevCommand;
import io.reside.cli.dev.DevDir;
import io.reside.harness.LocalImages;
import io.reside.images.ImageBuilder;
import io.reside.images.ImageReference;
import io.reside.images.RegistryClient;
import io.reside.model.manifest.ContractManifest;
import io.reside.model.manifest.Manifest;
import io.reside.model.manifest.Manifests;

import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code reside build}: images of built modules with Jib (no Docker): a replica module's packaged application
 * ({@code target/quarkus-app}) as a replica image with its manifest label, and each contract in a module's jar as a
 * zero-layer contract image. Named by their identities; pushed with {@code --push}, else written as OCI archives in
 * the module's {@code target/}.
 */
@Command(
        name = "build",
        mixinStandardHelpOptions = true,
        description = { "Build the images of built modules (./mvnw package first): a replica image from "
                + "target/quarkus-app, or a zero-layer image per contract in the module's jar.",
                "Images are named by their identities (<prefix>/replicas/<name>:<tag>, "
                        + "<prefix>/contracts/<name>.v<N>:<tag>); with --push they go to the registry the identity "
                        + "names (or --registry), else to OCI archives in target/." })
public class BuildCommand extends BaseCommand {

    @Parameters(
            paramLabel = "<module>",
            arity = "0..*",
            description = "Module directories (default: the current "
                    + "directory).")
    List<Path> modules = new ArrayList<>();

    @Option(names = "--push", description = "Push to a registry instead of writing archives.")
    boolean push;

    @Option(
            names = "--registry",
            paramLabel = "<host:port>|dev",
            description = "Push images named for " + LocalImages.IDENTITY_REGISTRY + " to this registry instead "
                    + "('dev': the registry of the running ./reside dev).")
    String registry;

    @Option(names = "--tag", defaultValue = "latest", description = "The tag (default: latest).")
    String tag;

    @Option(
            names = "--base",
            defaultValue = ImageBuilder.SCRATCH,
            description = "The base image of replica images "
                    + "(default: scratch, for Alpha's local runtime; a JRE image for Kubernetes).")
    String base;

    /** {@code build -o json}: one image built. */
    public record Built(String module, String kind, String image, String digest, String archive) {
    }

    @Override
    public Integer call() {
        if (registry != null && !push) {
            throw new CliException(ExitCodes.USAGE, "--registry is where --push sends images: add --push");
        }
        if (!tag.matches("[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}")) {
            throw new CliException(ExitCodes.USAGE, "'" + tag + "' is not an image tag (letters, digits, _ . -)");
        }
        List<Path> dirs = modules.isEmpty() ? List.of(Path.of("")) : modules;
        String target = push ? registryAddress() : null;
        Output out = output();
        Progress progress = progress();
        List<Built> built = new ArrayList<>();
        for (Path module : dirs) {
            Path dir = module.toAbsolutePath().normalize();
            Path app = dir.resolve("target/quarkus-app");
            if (Files.isRegularFile(app.resolve("quarkus-run.jar"))) {
                built.addAll(replica(dir, app, target, progress));
            } else {
                built.addAll(contracts(dir, target, progress));
            }
        }
        out.print(built, () -> out.table(List.of("module", "kind", "image", push ? "digest" : "archive"), built
                .stream().map(b -> List.of(b.module(), b.kind(), b.image(), push ? b.digest() : b.archive()))
                .toList()));
        return ExitCodes.OK;
    }

    private List<Built> replica(Path dir, Path app, String target, Progress progress) {
        String identity;
        try {
            identity = LocalImages.identity(app);
        } catch (IllegalArgumentException e) {
            throw new CliException(ExitCodes.USAGE, dir + " is not a replica module: " + e.getMessage());
        }
        String image = identity + ":" + tag;
        List<Built> out = new ArrayList<>();
        withBar(progress, "build " + image, builder -> {
            if (target != null) {
                LocalImages.Pushed pushed = new LocalImages(builder, target).push(app, tag);
                out.add(new Built(dir.toString(), "replica", pushed.image(), pushed.digest(), null));
            } else {
                Path tar = dir.resolve("target/reside-image.tar");
                ImageBuilder.Built b = builder.buildReplicaTar(app, base, ImageReference.parse(image), tar);
                out.add(new Built(dir.toString(), "replica", image, b.digest(), tar.toString()));
            }
            return out.get(0).digest();
        });
        return out;
    }

    private List<Built> contracts(Path dir, String target, Progress progress) {
        List<ContractManifest> found = new ArrayList<>();
        Path targetDir = dir.resolve("target");
        if (Files.isDirectory(targetDir)) {
            try (Stream<Path> jars = Files.list(targetDir)) {
                for (Path jar : jars.filter(p -> p.toString().endsWith(".jar") && !p.toString().endsWith(
                        "-sources.jar")).sorted().toList()) {
                    for (Manifest m : Manifests.readJar(jar)) {
                        if (m instanceof ContractManifest c) {
                            found.add(c);
                        }
                    }
                }
            } catch (IOException e) {
                throw new CliException(ExitCodes.FAILURE, "cannot read " + targetDir + ": " + e.getMessage());
            }
        }
        if (found.isEmpty()) {
            throw new CliException(ExitCodes.USAGE, dir + " holds neither a packaged replica (target/quarkus-app) "
                    + "nor a contract in a jar of target/: is it built (./mvnw package), and is it a replica or "
                    + "contract module?");
        }
        List<Built> out = new ArrayList<>();
        for (ContractManifest c : found) {
            String image = c.identity() + ":" + tag;
            withBar(progress, "build " + image, builder -> {
                if (target != null) {
                    LocalImages.Pushed pushed = new LocalImages(builder, target).pushContract(c, tag);
                    out.add(new Built(dir.toString(), "contract", pushed.image(), pushed.digest(), null));
                } else {
                    ImageReference ref = ImageReference.parse(image);
                    Path tar = dir.resolve("target/reside-contract-" + c.identity().substring(c.identity()
                            .lastIndexOf('/') + 1) + ".tar");
                    ImageBuilder.Built b = builder.buildContractTar(Manifests.toJson(c), ref, tar);
                    out.add(new Built(dir.toString(), "contract", image, b.digest(), tar.toString()));
                }
                return out.get(out.size() - 1).digest();
            });
        }
        return out;
    }

    /** What to do with a builder reporting to the bar; returns the digest for the line that ends the step. */
    @FunctionalInterface
    private interface WithBuilder {
        String build(ImageBuilder builder);
    }

    /** One image: a progress bar on a terminal (Jib's progress), else a line when it is done. */
    private void withBar(Progress progress, String label, WithBuilder work) {
        ImageBuilder plain = new ImageBuilder(RegistryClient.Options.DEFAULT, cacheDir());
        if (!progress.live()) {
            Progress.Step step = progress.step(label);
            try {
                work.build(plain);
                step.done(push ? "pushed" : "written");
            } catch (RuntimeException e) {
                step.fail(e.getMessage());
                throw failed(label, e);
            }
            return;
        }
        try (ProgressBar pb = new ProgressBarBuilder().setTaskName(label).setInitialMax(1000).setStyle(
                ProgressBarStyle.ASCII).hideEta().build()) {
            work.build(plain.withProgress(f -> pb.stepTo(Math.round(f * 1000))));
            pb.stepTo(1000);
        } catch (RuntimeException e) {
            throw failed(label, e);
        }
    }

    private static CliException failed(String label, RuntimeException e) {
        return e instanceof CliException c ? c
                : new CliException(ExitCodes.FAILURE, label + " failed: " + e.getMessage());
    }

    /** Jib's layer cache: beside the configuration, kept between builds. */
    private Path cacheDir() {
        return configFile().path().resolveSibling("jib-cache");
    }

    /** Where pushed images go: {@code --registry} (or the running dev cluster's), else the identities' own. */
    private String registryAddress() {
        if (registry == null) {
            return LocalImages.IDENTITY_REGISTRY;
        }
        if (!registry.equals("dev")) {
            return registry;
        }
        DevDir dir = DevDir.defaultFor(DevCommand.home());
        return dir.running().map(DevDir.Running::registry).orElseThrow(() -> new CliException(ExitCodes.UNAVAILABLE,
                "--registry dev: no ./reside dev runs from " + dir.root() + ": start it first"));
    }
}
