package io.reside.cli.commands;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.reside.cli.CliException;
import io.reside.cli.ExitCodes;
import io.reside.cli.Output;
import io.reside.cli.Progress;
import io.reside.cli.cluster.Connection;
import io.reside.cli.cluster.Kube;
import io.reside.cli.config.CliConfig;
import io.reside.cli.config.ConfigFile;
import io.reside.contracts.alpha.v1.AlphaApi;
import io.reside.harness.LocalCluster;
import io.reside.model.error.ResideException;
import io.reside.security.AccountKey;
import io.reside.security.CertificateAuthority;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code reside cluster bootstrap <overlay>}: a ReSide cluster on Kubernetes from a kustomize overlay (docs/
 * kubernetes.md). Alpha's key is made here and stored only in its Secret {@code alpha}, so the CLI knows Alpha's
 * account before Alpha ever answers (no trust on first use); the operator's public key goes into Alpha's configuration,
 * so that the operator can claim super-admin access with the code Alpha leaves in a Secret. Running it again on the
 * same cluster applies the overlay again (an upgrade) and changes nothing else.
 */
@Command(
        name = "bootstrap",
        mixinStandardHelpOptions = true,
        description = { "Deploy ReSide to a Kubernetes namespace from a kustomize overlay (k8s/overlays/<env>), wait "
                + "for etcd and Alpha, claim super-admin access and add the cluster to the configuration.",
                "Needs kubectl (to render the overlay) and a kubeconfig context allowed to write the namespace." })
public class ClusterBootstrap extends BaseCommand {

    /** The key of Alpha's Secret (k8s/base mounts it at reside.account-key-file). */
    static final String KEY_ENTRY = "key.pem";
    static final String ETCD_ROOT_ENTRY = "etcd-root-password";
    static final String ALPHA = "alpha";
    static final String OPERATOR_KEY_PROPERTY = "alpha.bootstrap.operator-public-key";
    static final String OPERATOR_ANNOTATION = "reside.io/operator";
    static final String CLAIM_SECRET_PROPERTY = "alpha.kubernetes.claim-code-secret";
    static final String TLS_PROPERTY = "alpha.tls.enabled";
    static final String CA_SECRET_PROPERTY = "alpha.tls.ca-secret";
    /** Alpha's serving certificate (k8s/overlays/production mounts it). */
    static final String ALPHA_TLS_SECRET = "alpha-tls";

    @Parameters(paramLabel = "<overlay>", description = "The kustomize overlay, e.g. k8s/overlays/production.")
    Path overlay;

    @Option(
            names = "--endpoint",
            required = true,
            paramLabel = "<url>",
            description = "Where this machine reaches Alpha: http://127.0.0.1:8080 (https:// with RPC over TLS) "
                    + "after kubectl -n <namespace> port-forward svc/alpha 8080, or an Ingress you route to Alpha.")
    String endpoint;

    @Option(
            names = "--name",
            paramLabel = "<cluster>",
            description = "The cluster's name in the configuration (default: the overlay's reside.cluster).")
    String name;

    @Option(
            names = "--kube-context",
            paramLabel = "<context>",
            description = "The kubeconfig context (default: its current one).")
    String kubeContext;

    @Option(
            names = "--account",
            paramLabel = "<name>",
            description = "The account that becomes super-admin (default: <cluster>-operator, made when missing).")
    String account;

    @Option(
            names = "--apply",
            paramLabel = "<strategy>",
            defaultValue = "server-side-apply",
            description = "server-side-apply (default) or create-or-update (API servers without apply).")
    String apply;

    @Option(
            names = "--timeout",
            paramLabel = "<duration>",
            defaultValue = "PT10M",
            description = "How long to wait for etcd and Alpha (ISO-8601, default PT10M).")
    Duration timeout;

    /** {@code cluster bootstrap -o json}. */
    public record Bootstrapped(String cluster, String namespace, String kubeContext, String endpoint,
            String alphaAccountId, String account, String accountId, String context, List<String> granted,
            int objects) {
    }

    @Override
    public Integer call() {
        Kube.Apply strategy = Kube.Apply.parse(apply);
        URI alphaUrl = endpointUri();
        Progress progress = progress();
        ConfigFile file = configFile();
        CliConfig config = file.load();
        try (KubernetesClient kube = Kube.client(kubeContext)) {
            Progress.Step render = progress.step("render");
            List<HasMetadata> objects = Kube.render(overlay, kube);
            String namespace = namespaceOf(objects);
            ConfigMap alphaConfig = objects.stream().filter(o -> o instanceof ConfigMap c && c.getMetadata()
                    .getName().startsWith("alpha-config")).map(ConfigMap.class::cast).findFirst().orElseThrow(
                            () -> new CliException(ExitCodes.USAGE, overlay + " has no ConfigMap alpha-config: "
                                    + "is it an overlay of k8s/base?"));
            String cluster = name != null ? name : alphaConfig.getData().getOrDefault("reside.cluster", "default");
            render.done(overlay + ": " + objects.size() + " objects for namespace " + namespace + " (cluster " + cluster
                    + ")");

            String accountName = account != null ? account : cluster + "-operator";
            OperatorAccount operator = operator(file, config, accountName);
            alphaConfig.getData().put(OPERATOR_KEY_PROPERTY, operator.key().publicKey().toBase64url());
            // Alpha registers the operator when it starts: a new operator must restart it, as a changed template does
            Deployment alphaDeployment = objects.stream().filter(o -> o instanceof Deployment d && d.getMetadata()
                    .getName().equals(ALPHA)).map(Deployment.class::cast).findFirst().orElseThrow(
                            () -> new CliException(ExitCodes.USAGE, overlay + " has no Deployment alpha: is it an "
                                    + "overlay of k8s/base?"));
            var podMetadata = alphaDeployment.getSpec().getTemplate().getMetadata();
            Map<String, String> annotations = new LinkedHashMap<>(podMetadata.getAnnotations() == null ? Map.of()
                    : podMetadata.getAnnotations());
            annotations.put(OPERATOR_ANNOTATION, operator.key().accountId());
            podMetadata.setAnnotations(annotations);

            Progress.Step apply = progress.step("apply");
            for (HasMetadata o : objects) {
                if (o instanceof Namespace) {
                    apply.status(Kube.id(o));
                    Kube.apply(kube, o, strategy);
                }
            }
            String alphaAccountId = alphaKey(kube, namespace, strategy);
            // RPC over TLS: the cluster CA, and Alpha's own certificate from it, before Alpha starts
            CertificateAuthority ca = "true".equals(alphaConfig.getData().get(TLS_PROPERTY)) ? clusterCa(kube,
                    namespace, alphaConfig.getData().getOrDefault(CA_SECRET_PROPERTY, "reside-ca"), strategy)
                    : null;
            if (ca != null) {
                alphaCertificate(kube, namespace, ca, strategy);
            }
            for (HasMetadata o : objects) {
                if (!(o instanceof Namespace)) {
                    apply.status(Kube.id(o));
                    Kube.apply(kube, o, strategy);
                }
            }
            apply.done(objects.size() + " objects to " + kube.getConfiguration().getMasterUrl() + "; Alpha is "
                    + alphaAccountId);

            awaitReady(kube, namespace, progress);

            String claimSecret = alphaConfig.getData().getOrDefault(CLAIM_SECRET_PROPERTY, "reside-claim-code");
            String caFile = ca == null ? null : writeCa(file, cluster, ca);
            config = file.load().with(operator.account())
                    .with(new CliConfig.Cluster(cluster, namespace, alphaUrl.toString(), alphaAccountId, Kube
                            .contextOf(kube), "external", caFile))
                    .with(new CliConfig.Context(cluster, cluster, accountName)).withCurrentContext(cluster);
            file.save(config);
            Connection connection = Connection.open(file, cluster);
            List<String> granted = claim(kube, namespace, claimSecret, connection, progress);

            Bootstrapped result = new Bootstrapped(cluster, namespace, Kube.contextOf(kube), alphaUrl.toString(),
                    alphaAccountId, accountName, operator.key().accountId(), cluster, granted, objects.size());
            Output out = output();
            out.print(result, () -> {
                out.line("ReSide runs in namespace " + namespace + (result.kubeContext() == null ? ""
                        : " of " + result.kubeContext()) + "; Alpha answers at " + alphaUrl + ".");
                out.line("You (" + accountName + ", " + operator.key().accountId() + ") are its super-admin; the "
                        + "context '" + cluster + "' is the current one.");
                out.line("Next: reside replica load <image>  (docs/kubernetes.md)");
            });
            return ExitCodes.OK;
        }
    }

    private URI endpointUri() {
        try {
            URI uri = URI.create(endpoint.replaceAll("/+$", ""));
            if (uri.getHost() == null || !(uri.getScheme().equals("http") || uri.getScheme().equals("https"))) {
                throw new IllegalArgumentException("not an http(s) URL");
            }
            return uri;
        } catch (IllegalArgumentException e) {
            throw new CliException(ExitCodes.USAGE, "--endpoint '" + endpoint + "': " + e.getMessage()
                    + " (e.g. https://reside.example.org/replicas/alpha)");
        }
    }

    private String namespaceOf(List<HasMetadata> objects) {
        List<String> namespaces = objects.stream().filter(o -> !(o instanceof Namespace)).map(o -> o.getMetadata()
                .getNamespace()).distinct().toList();
        if (namespaces.size() != 1 || namespaces.get(0) == null) {
            throw new CliException(ExitCodes.USAGE, overlay + " must put every object in one namespace (kustomize's "
                    + "namespace:), not " + namespaces);
        }
        return namespaces.get(0);
    }

    record OperatorAccount(CliConfig.Account account, AccountKey key) {
    }

    /** The account that claims: one of the configuration's, or a new one with its key beside the configuration. */
    private OperatorAccount operator(ConfigFile file, CliConfig config, String accountName) {
        Optional<CliConfig.Account> existing = config.account(accountName);
        if (existing.isPresent()) {
            if (existing.get().keyFile() == null) {
                throw new CliException(ExitCodes.USAGE, "the account '" + accountName + "' has no key on this "
                        + "machine: the super-admin must be an account whose key you hold (--account)");
            }
            return new OperatorAccount(existing.get(), ConfigFile.readKey(Path.of(existing.get().keyFile())));
        }
        if (account != null) {
            throw new CliException(ExitCodes.NOT_FOUND, "no account '" + accountName + "' in " + file.path()
                    + ": reside account create " + accountName + " makes one, or leave out --account");
        }
        AccountKey key = AccountKey.generate();
        Path keyFile = file.keysDir().resolve(accountName + ".pem").toAbsolutePath().normalize();
        ConfigFile.writeKey(keyFile, key);
        CliConfig.Account made = new CliConfig.Account(accountName, key.accountId(), keyFile.toString());
        file.save(config.with(made));
        return new OperatorAccount(made, key);
    }

    /**
     * Alpha's account: from its Secret when the cluster has one (a second bootstrap), else from a key made here and
     * written only to that Secret.
     */
    private String alphaKey(KubernetesClient kube, String namespace, Kube.Apply strategy) {
        Secret existing;
        try {
            existing = kube.secrets().inNamespace(namespace).withName(ALPHA).get();
        } catch (KubernetesClientException e) {
            throw new CliException(e.getCode() == 403 ? ExitCodes.PERMISSION_DENIED : ExitCodes.UNAVAILABLE,
                    "cannot read Secret " + ALPHA + " of namespace " + namespace + ": " + Kube.describe(e));
        }
        if (existing != null) {
            String pem = existing.getData() == null ? null : existing.getData().get(KEY_ENTRY);
            if (pem == null) {
                throw new CliException(ExitCodes.FAILURE, "Secret " + ALPHA + " of namespace " + namespace + " has "
                        + "no " + KEY_ENTRY + ": it is not Alpha's key; move it away and run bootstrap again");
            }
            String accountId;
            try {
                accountId = AccountKey.fromPem(new String(Base64.getDecoder().decode(pem), StandardCharsets.UTF_8))
                        .accountId();
            } catch (IllegalArgumentException e) {
                throw new CliException(ExitCodes.FAILURE, "Secret " + ALPHA + " of namespace " + namespace + " does "
                        + "not hold a usable key (" + e.getMessage() + ")");
            }
            if (!existing.getData().containsKey(ETCD_ROOT_ENTRY)) {
                // a cluster bootstrapped before etcd auth: its etcd has no root yet, so a new password is safe
                Map<String, String> data = new LinkedHashMap<>(existing.getData());
                data.put(ETCD_ROOT_ENTRY, encodeNewPassword());
                writeAlphaSecret(kube, namespace, data, strategy);
            }
            return accountId;
        }
        AccountKey key = AccountKey.generate();
        writeAlphaSecret(kube, namespace, Map.of(KEY_ENTRY, Base64.getEncoder().encodeToString(key.toPem().getBytes(
                StandardCharsets.UTF_8)), ETCD_ROOT_ENTRY, encodeNewPassword()), strategy);
        return key.accountId();
    }

    /**
     * Alpha's Secret: its key, and the password of etcd's root user, which Alpha connects as and turns etcd's auth
     * on with (docs/adr/0008). Neither is ever written anywhere else.
     */
    private static void writeAlphaSecret(KubernetesClient kube, String namespace, Map<String, String> data,
            Kube.Apply strategy) {
        Map<String, String> labels = new LinkedHashMap<>();
        labels.put(Kube.PART_OF, Kube.RESIDE);
        labels.put("app.kubernetes.io/name", ALPHA);
        Kube.apply(kube, new SecretBuilder().withMetadata(new ObjectMetaBuilder().withName(ALPHA).withNamespace(
                namespace).withLabels(labels).build()).withType("Opaque").withData(data).build(), strategy);
    }

    private static String encodeNewPassword() {
        byte[] random = new byte[24];
        new java.security.SecureRandom().nextBytes(random);
        return Base64.getEncoder().encodeToString(Base64.getUrlEncoder().withoutPadding().encodeToString(random)
                .getBytes(StandardCharsets.UTF_8));
    }

    /** The cluster CA from its Secret, or a new one made here and written to it. */
    private CertificateAuthority clusterCa(KubernetesClient kube, String namespace, String name, Kube.Apply strategy) {
        Secret existing = kube.secrets().inNamespace(namespace).withName(name).get();
        if (existing != null) {
            try {
                return CertificateAuthority.fromSecretData(existing.getData());
            } catch (IllegalArgumentException e) {
                throw new CliException(ExitCodes.FAILURE, "Secret " + name + " of namespace " + namespace + " does "
                        + "not hold a usable CA: " + e.getMessage());
            }
        }
        CertificateAuthority ca = CertificateAuthority.generate("ReSide cluster CA (" + namespace + ")", Duration
                .ofDays(3650));
        Kube.apply(kube, new SecretBuilder().withMetadata(new ObjectMetaBuilder().withName(name).withNamespace(
                namespace).withLabels(Map.of(Kube.PART_OF, Kube.RESIDE, "app.kubernetes.io/name", name)).build())
                .withType("Opaque").withData(ca.secretData()).build(), strategy);
        return ca;
    }

    /** Alpha's serving certificate: for its Service names and 127.0.0.1 (kubectl port-forward). */
    private void alphaCertificate(KubernetesClient kube, String namespace, CertificateAuthority ca,
            Kube.Apply strategy) {
        Secret existing = kube.secrets().inNamespace(namespace).withName(ALPHA_TLS_SECRET).get();
        if (existing != null && existing.getData() != null && existing.getData().get("tls.crt") != null && ca.current(
                decode(existing.getData().get("tls.crt")), Duration.ofDays(30))) {
            return;
        }
        CertificateAuthority.Issued issued = ca.issue(ALPHA, CertificateAuthority.serviceNames(ALPHA, namespace), List
                .of("127.0.0.1"), Duration.ofDays(365));
        Kube.apply(kube, new SecretBuilder().withMetadata(new ObjectMetaBuilder().withName(ALPHA_TLS_SECRET)
                .withNamespace(namespace).withLabels(Map.of(Kube.PART_OF, Kube.RESIDE, "app.kubernetes.io/name",
                        ALPHA_TLS_SECRET))
                .build()).withType("kubernetes.io/tls").withData(Map.of("tls.crt", encode(issued.certificatePem()),
                        "tls.key", encode(issued.privateKeyPem()), "ca.crt", encode(ca.certificatePem())))
                .build(), strategy);
    }

    /** The CA certificate beside the configuration, for the CLI's own calls over TLS. */
    private static String writeCa(ConfigFile file, String cluster, CertificateAuthority ca) {
        java.nio.file.Path path = file.path().toAbsolutePath().getParent().resolve("clusters").resolve(cluster
                + "-ca.crt");
        try {
            java.nio.file.Files.createDirectories(path.getParent());
            java.nio.file.Files.writeString(path, ca.certificatePem());
        } catch (java.io.IOException e) {
            throw new CliException(ExitCodes.FAILURE, "cannot write the cluster CA to " + path + ": " + e
                    .getMessage());
        }
        return path.toString();
    }

    private static String decode(String base64) {
        return new String(Base64.getDecoder().decode(base64), StandardCharsets.US_ASCII);
    }

    private static String encode(String pem) {
        return Base64.getEncoder().encodeToString(pem.getBytes(StandardCharsets.US_ASCII));
    }

    /** Until the etcd StatefulSet and the Alpha Deployment report every replica ready. */
    private void awaitReady(KubernetesClient kube, String namespace, Progress progress) {
        waitFor(progress, "etcd", timeout, () -> {
            StatefulSet s = kube.apps().statefulSets().inNamespace(namespace).withName("etcd").get();
            int want = s == null || s.getSpec().getReplicas() == null ? 1 : s.getSpec().getReplicas();
            int ready = s == null || s.getStatus() == null || s.getStatus().getReadyReplicas() == null ? 0
                    : s.getStatus().getReadyReplicas();
            return new Readiness(ready, want);
        }, "kubectl -n " + namespace + " describe pod -l app.kubernetes.io/name=etcd");
        waitFor(progress, "Alpha", timeout, () -> {
            Deployment d = kube.apps().deployments().inNamespace(namespace).withName(ALPHA).get();
            int want = d == null || d.getSpec().getReplicas() == null ? 1 : d.getSpec().getReplicas();
            if (d == null || d.getStatus() == null || d.getStatus().getObservedGeneration() == null || d.getStatus()
                    .getObservedGeneration() < d.getMetadata().getGeneration()) {
                return new Readiness(0, want); // the new template not rolled out yet
            }
            // the pods of this template (with this operator), not the ones before
            int updated = d.getStatus().getUpdatedReplicas() == null ? 0 : d.getStatus().getUpdatedReplicas();
            int available = d.getStatus().getAvailableReplicas() == null ? 0 : d.getStatus().getAvailableReplicas();
            return new Readiness(Math.min(updated, available), want);
        }, "kubectl -n " + namespace + " describe pod -l app.kubernetes.io/name=alpha; kubectl -n " + namespace
                + " logs deploy/alpha");
    }

    record Readiness(int ready, int wanted) {
        boolean done() {
            return ready >= wanted;
        }

        @Override
        public String toString() {
            return ready + "/" + wanted + " ready";
        }
    }

    private static void waitFor(Progress progress, String what, Duration timeout,
            java.util.function.Supplier<Readiness> probe, String look) {
        Progress.Step step = progress.step(what);
        try {
            Readiness r = LocalCluster.awaitCondition(what + " ready", timeout, Duration.ofSeconds(1), () -> {
                Readiness now = probe.get();
                step.status(now.toString());
                return now;
            }, Readiness::done, () -> false, null);
            step.done(r.toString());
        } catch (LocalCluster.ConditionTimeoutException e) {
            step.fail("not ready within " + timeout.toSeconds() + " s");
            throw new CliException(ExitCodes.UNAVAILABLE, what + " did not become ready within " + timeout
                    .toSeconds() + " s (" + e.getMessage() + "). See why: " + look + "; then run bootstrap again "
                    + "(it picks up where it stopped)");
        }
    }

    /**
     * Claims super-admin access with the code in Alpha's Secret, or, when the Secret is gone (claimed already),
     * checks that the claim was this account's.
     */
    private List<String> claim(KubernetesClient kube, String namespace, String claimSecret, Connection connection,
            Progress progress) {
        Progress.Step step = progress.step("claim");
        Secret secret = kube.secrets().inNamespace(namespace).withName(claimSecret).get();
        String code = secret == null || secret.getData() == null || secret.getData().get("code") == null ? null
                : new String(Base64.getDecoder().decode(secret.getData().get("code")), StandardCharsets.UTF_8).trim();
        // Alpha's endpoint checked against the pinned account first: a wrong --endpoint says so here. Until it
        // answers (a port-forward being started), asked again every second up to the timeout.
        AlphaApi alpha;
        try {
            alpha = LocalCluster.awaitCondition("Alpha at " + connection.cluster().endpoint(), timeout, Duration
                    .ofSeconds(1), () -> {
                        try {
                            return connection.alpha();
                        } catch (CliException e) {
                            if (e.exitCode() != ExitCodes.UNAVAILABLE) {
                                throw new IllegalArgumentException(e.getMessage(), e);
                            }
                            step.status("waiting for Alpha at " + connection.cluster().endpoint()
                                    + " (a port-forward?)");
                            return null;
                        }
                    }, a -> a != null, () -> false, IllegalArgumentException.class);
        } catch (IllegalArgumentException e) {
            step.fail(e.getMessage());
            throw (CliException) e.getCause();
        } catch (LocalCluster.ConditionTimeoutException e) {
            step.fail("Alpha does not answer at " + connection.cluster().endpoint());
            throw new CliException(ExitCodes.UNAVAILABLE, "Alpha runs but does not answer at " + connection.cluster()
                    .endpoint() + " within " + timeout.toSeconds() + " s: check --endpoint (kubectl -n " + namespace
                    + " port-forward svc/alpha 8080, or your Ingress), then run bootstrap again");
        }
        if (code == null) {
            List<String> held = alpha.getMyGrants().stream().filter(g -> g.state().equals("current"))
                    .map(AlphaApi.MyGrant::permission).toList();
            if (held.isEmpty()) {
                step.fail("claimed by another account");
                throw new CliException(ExitCodes.PERMISSION_DENIED, "this cluster's super-admin access was claimed "
                        + "already (Secret " + claimSecret + " is gone) and not by " + connection.account().name()
                        + ": ask its super-admin to grant you what you need");
            }
            step.done("claimed earlier by this account");
            return held;
        }
        try {
            AlphaApi.Claimed claimed = alpha.claimSuperAdminAccess(new AlphaApi.ClaimSuperAdminAccess(code));
            step.done("super-admin access for " + connection.account().accountId());
            return claimed.granted();
        } catch (ResideException.PermissionDeniedException e) {
            step.fail(e.getMessage());
            throw new CliException(ExitCodes.PERMISSION_DENIED, "Alpha refused the claim: " + e.getMessage()
                    + ". Was the cluster bootstrapped before with another account? Its Secret " + claimSecret
                    + " holds the code; reside cluster claim-super-admin-access --code-file <file> claims with it");
        }
    }
}
