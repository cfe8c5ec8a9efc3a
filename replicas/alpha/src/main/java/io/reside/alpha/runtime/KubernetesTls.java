package io.reside.alpha.runtime;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import org.jboss.logging.Logger;

import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.reside.alpha.config.AlphaConfig;
import io.reside.security.CertificateAuthority;

/**
 * RPC over TLS on Kubernetes (alpha.tls.enabled): the cluster CA in the Secret {@code alpha.tls.ca-secret}
 * ({@code ca.crt}, {@code ca.key}; made by {@code reside cluster bootstrap}, or by Alpha at its first start when
 * missing), and in each replica's Secret beside its key a server certificate for its Service names (and 127.0.0.1,
 * for the replica's own start-up check) with the CA certificate it trusts. A certificate is issued when missing, when
 * another CA issued it, or when a third of its validity is left; the replica reloads it from its mounted Secret.
 */
final class KubernetesTls {

    private static final Logger LOG = Logger.getLogger(KubernetesTls.class);

    private final String namespace;
    private final Duration validity;
    private final Applier applier;
    private final CertificateAuthority ca;
    /**
     * Secret name → the resourceVersions known good: the one last checked, or the one written and the one it replaced
     * (the informer may show the old one a moment longer), so that each certificate is checked and issued once.
     */
    private final Map<String, java.util.Set<String>> checked = new ConcurrentHashMap<>();

    private KubernetesTls(String namespace, Duration validity, Applier applier, CertificateAuthority ca) {
        this.namespace = namespace;
        this.validity = validity;
        this.applier = applier;
        this.ca = ca;
    }

    static KubernetesTls open(KubernetesClient client, String namespace, AlphaConfig.Tls config, Applier applier) {
        String name = config.caSecret();
        for (int attempt = 0; attempt < 3; attempt++) {
            Secret s;
            try {
                s = client.secrets().inNamespace(namespace).withName(name).get();
            } catch (KubernetesClientException e) {
                throw new IllegalStateException("cannot read the cluster CA (Secret " + name + " of namespace "
                        + namespace + "): " + Applier.describe(e), e);
            }
            if (s != null) {
                try {
                    return new KubernetesTls(namespace, config.certificateValidity(), applier,
                            CertificateAuthority.fromSecretData(s.getData()));
                } catch (IllegalArgumentException e) {
                    throw new IllegalStateException("Secret " + name + " of namespace " + namespace + " does not hold "
                            + "a usable cluster CA for RPC over TLS (docs/kubernetes.md): " + e.getMessage(), e);
                }
            }
            CertificateAuthority made = CertificateAuthority.generate("ReSide cluster CA (" + namespace + ")",
                    Duration.ofDays(3650));
            Map<String, String> labels = new LinkedHashMap<>();
            labels.put("app.kubernetes.io/part-of", "reside");
            labels.put("app.kubernetes.io/name", name);
            try {
                // created, never replaced: a CA another Alpha made at the same moment wins (409: read it)
                client.secrets().inNamespace(namespace).resource(new SecretBuilder().withMetadata(
                        new ObjectMetaBuilder().withName(name).withLabels(labels).build()).withType("Opaque")
                        .withData(made.secretData()).build()).create();
                LOG.infof("made the cluster CA for RPC over TLS in Secret %s", name);
                return new KubernetesTls(namespace, config.certificateValidity(), applier, made);
            } catch (KubernetesClientException e) {
                if (e.getCode() != 409) {
                    throw new IllegalStateException("cannot create the cluster CA (Secret " + name + "): " + Applier
                            .describe(e), e);
                }
            }
        }
        throw new IllegalStateException("the cluster CA (Secret " + name + ") kept changing: try again");
    }

    /**
     * Makes {@code secret} (a replica's key Secret, as last seen) hold a good certificate for {@code name}; writes it
     * back with its key untouched when it does not.
     */
    void ensureCertificate(Secret secret, String name, String accountId) {
        String version = String.valueOf(secret.getMetadata().getResourceVersion());
        if (checked.getOrDefault(name, java.util.Set.of()).contains(version)) {
            return;
        }
        Map<String, String> data = secret.getData() == null ? Map.of() : secret.getData();
        if (good(data)) {
            checked.put(name, java.util.Set.of(version));
            return;
        }
        CertificateAuthority.Issued issued = ca.issue(name, CertificateAuthority.serviceNames(name, namespace), List.of(
                "127.0.0.1"), validity);
        Map<String, String> updated = new LinkedHashMap<>(data);
        updated.put(KubernetesObjects.TLS_CERT_ENTRY, KubernetesObjects.base64(issued.certificatePem()));
        updated.put(KubernetesObjects.TLS_KEY_ENTRY, KubernetesObjects.base64(issued.privateKeyPem()));
        updated.put(KubernetesObjects.CA_ENTRY, KubernetesObjects.base64(ca.certificatePem()));
        Secret written = applier.write(new SecretBuilder().withMetadata(new ObjectMetaBuilder().withName(name)
                .withLabels(secret.getMetadata().getLabels()).withAnnotations(secret.getMetadata().getAnnotations())
                .build()).withType("Opaque").withData(updated).build());
        checked.put(name, java.util.Set.of(version, String.valueOf(written.getMetadata().getResourceVersion())));
        LOG.infof("issued the TLS certificate of %s (account %s), valid until %s", name, accountId, issued
                .notAfter());
    }

    private boolean good(Map<String, String> data) {
        String cert = data.get(KubernetesObjects.TLS_CERT_ENTRY);
        String caCert = data.get(KubernetesObjects.CA_ENTRY);
        if (cert == null || data.get(KubernetesObjects.TLS_KEY_ENTRY) == null || caCert == null) {
            return false;
        }
        try {
            return KubernetesObjects.text(caCert).equals(ca.certificatePem())
                    && ca.current(KubernetesObjects.text(cert), validity.dividedBy(3));
        } catch (IllegalArgumentException e) {
            return false; // not base64
        }
    }

    /** The CA certificate (PEM). */
    String caPem() {
        return ca.certificatePem();
    }
}
