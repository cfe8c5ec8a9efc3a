package io.reside.cli.cluster;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.reside.cli.CliException;
import io.reside.cli.ExitCodes;

/**
 * The Kubernetes side of {@code reside cluster bootstrap} and {@code delete}: a kustomize overlay rendered by
 * {@code kubectl kustomize} (kustomize has no Java implementation; an operator has kubectl), a fabric8 client for a
 * kubeconfig context, and objects written the way Alpha writes its own (docs/adr/0007-kubernetes-applier.md): server-
 * side apply with the field manager {@value #FIELD_MANAGER}, or get-then-create-or-update where apply is unavailable.
 */
public final class Kube {

    /** The field manager of what the CLI applies (Alpha's is reside-alpha). */
    public static final String FIELD_MANAGER = "reside-cli";
    /** The labels every object of k8s/ carries; Alpha's own objects carry managed-by=reside instead. */
    public static final String PART_OF = "app.kubernetes.io/part-of";
    public static final String MANAGED_BY = "app.kubernetes.io/managed-by";
    public static final String RESIDE = "reside";

    /** How objects are written. */
    public enum Apply {
        SERVER_SIDE_APPLY,
        CREATE_OR_UPDATE;

        public static Apply parse(String s) {
            try {
                return valueOf(s.trim().toUpperCase(Locale.ROOT).replace('-', '_'));
            } catch (IllegalArgumentException e) {
                throw new CliException(ExitCodes.USAGE, "--apply is server-side-apply or create-or-update, not '" + s
                        + "'");
            }
        }
    }

    private Kube() {
    }

    /** The overlay rendered by {@code kubectl kustomize}, parsed into objects. */
    public static List<HasMetadata> render(Path overlay, KubernetesClient client) {
        if (!Files.isRegularFile(overlay.resolve("kustomization.yaml"))) {
            throw new CliException(ExitCodes.NOT_FOUND, overlay + " is not a kustomize overlay (it has no "
                    + "kustomization.yaml): give one of k8s/overlays/<env>, or your copy of one");
        }
        Process p;
        try {
            p = new ProcessBuilder("kubectl", "kustomize", overlay.toString()).start();
        } catch (IOException e) {
            throw new CliException(ExitCodes.MISSING_PREREQUISITE, "kubectl is needed to render " + overlay
                    + " (kubectl kustomize) and is not on the PATH: install it "
                    + "(https://kubernetes.io/docs/tasks/tools/)");
        }
        try {
            p.getOutputStream().close();
            byte[] yaml = p.getInputStream().readAllBytes();
            String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8).trim();
            if (!p.waitFor(2, TimeUnit.MINUTES)) {
                p.destroyForcibly();
                throw new CliException(ExitCodes.FAILURE, "kubectl kustomize " + overlay + " did not finish in 2 min");
            }
            if (p.exitValue() != 0) {
                throw new CliException(ExitCodes.USAGE, "kubectl kustomize " + overlay + " failed: " + err);
            }
            return client.load(new ByteArrayInputStream(yaml)).items();
        } catch (IOException e) {
            throw new CliException(ExitCodes.FAILURE, "cannot run kubectl kustomize " + overlay + ": " + e
                    .getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CliException(ExitCodes.FAILURE, "interrupted");
        }
    }

    /**
     * A client for a context of the kubeconfig ({@code KUBECONFIG}, else {@code ~/.kube/config}); null: its current
     * context.
     */
    public static KubernetesClient client(String context) {
        Config config;
        try {
            config = Config.autoConfigure(context);
        } catch (KubernetesClientException | IllegalArgumentException e) {
            throw new CliException(ExitCodes.USAGE, "cannot read the kubeconfig context " + (context == null
                    ? "(current)"
                    : "'" + context + "'") + ": " + e.getMessage());
        }
        if (context != null && (config.getCurrentContext() == null || !context.equals(config.getCurrentContext()
                .getName()))) {
            throw new CliException(ExitCodes.USAGE, "the kubeconfig has no context '" + context + "' (kubectl "
                    + "config get-contexts lists them)");
        }
        return new KubernetesClientBuilder().withConfig(config).build();
    }

    /** The kubeconfig context a client was made for (null when the configuration has none). */
    public static String contextOf(KubernetesClient client) {
        var current = client.getConfiguration().getCurrentContext();
        return current == null ? null : current.getName();
    }

    /** Writes one object; returns it as the API server has it. */
    public static <T extends HasMetadata> T apply(KubernetesClient client, T object, Apply strategy) {
        try {
            var resource = object instanceof Namespace ? client.resource(object)
                    : client.resource(object)
                            .inNamespace(object.getMetadata().getNamespace());
            return switch (strategy) {
                case SERVER_SIDE_APPLY -> resource.fieldManager(FIELD_MANAGER).forceConflicts().serverSideApply();
                case CREATE_OR_UPDATE -> {
                    T live = resource.get();
                    if (live == null) {
                        yield resource.create();
                    }
                    object.getMetadata().setResourceVersion(live.getMetadata().getResourceVersion());
                    yield resource.update();
                }
            };
        } catch (KubernetesClientException e) {
            throw new CliException(e.getCode() == 403 ? ExitCodes.PERMISSION_DENIED : ExitCodes.FAILURE,
                    "cannot write " + id(object) + ": " + describe(e));
        }
    }

    public static String id(HasMetadata o) {
        return o.getKind() + "/" + o.getMetadata().getName();
    }

    /** The API server's own message (a 403 names the verb and resource), else the client's. */
    public static String describe(KubernetesClientException e) {
        if (e.getStatus() != null && e.getStatus().getMessage() != null) {
            return e.getCode() + " " + e.getStatus().getMessage();
        }
        return e.getCode() > 0 ? e.getCode() + " " + e.getMessage()
                : "the API server cannot be reached (" + e
                        .getMessage() + ")";
    }
}
