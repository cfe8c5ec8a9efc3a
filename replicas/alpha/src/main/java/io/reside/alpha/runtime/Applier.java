package io.reside.alpha.runtime;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;

import org.jboss.logging.Logger;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.reside.alpha.config.AlphaConfig;

/**
 * The one place that writes Kubernetes objects (docs/adr/0007-kubernetes-applier.md). Each desired object carries a
 * {@value #SPEC_HASH} annotation, the hash of everything Alpha sets in it; {@link #ensure} writes it only when the
 * live object is missing, has another hash, or was changed by someone else since Alpha last wrote it (its
 * {@code metadata.generation}, or for objects without one its {@code resourceVersion}, differs from what that write
 * returned). Two strategies write:
 * <ul>
 * <li>{@link AlphaConfig.Kubernetes.ApplyStrategy#SERVER_SIDE_APPLY}: a server-side apply with field manager
 * {@value #FIELD_MANAGER}, conflicts forced, so Alpha takes back any field it owns that someone else changed;</li>
 * <li>{@link AlphaConfig.Kubernetes.ApplyStrategy#CREATE_OR_UPDATE}: a GET, then a create, or an update guarded by
 * the live object's {@code resourceVersion} when it differs, for API servers without server-side apply (the fabric8
 * mock server the tests use).</li>
 * </ul>
 * A write that loses a race (409) is left to the next pass, which sees the winner.
 */
final class Applier {

    private static final Logger LOG = Logger.getLogger(Applier.class);
    static final String FIELD_MANAGER = "reside-alpha";
    static final String SPEC_HASH = "reside.io/spec-hash";

    private final KubernetesClient client;
    private final String namespace;
    private final AlphaConfig.Kubernetes.ApplyStrategy strategy;
    /** kind/name → what Alpha's last write of it returned. */
    private final Map<String, Written> written = new ConcurrentHashMap<>();

    private record Written(Long generation, String resourceVersion) {
    }

    Applier(KubernetesClient client, String namespace, AlphaConfig.Kubernetes.ApplyStrategy strategy) {
        this.client = client;
        this.namespace = namespace;
        this.strategy = strategy;
    }

    /** The object with its {@value #SPEC_HASH} annotation: the hash of its JSON without it. */
    <T extends HasMetadata> T withSpecHash(T object) {
        Map<String, String> annotations = new LinkedHashMap<>();
        if (object.getMetadata().getAnnotations() != null) {
            annotations.putAll(object.getMetadata().getAnnotations());
        }
        annotations.remove(SPEC_HASH);
        object.getMetadata().setAnnotations(annotations);
        String json = client.getKubernetesSerialization().asJson(object);
        annotations.put(SPEC_HASH, sha256(json));
        return object;
    }

    static String specHash(HasMetadata object) {
        Map<String, String> annotations = object == null ? null : object.getMetadata().getAnnotations();
        return annotations == null ? null : annotations.get(SPEC_HASH);
    }

    /**
     * Makes the live object match {@code desired} (made with {@link #withSpecHash}).
     *
     * @param observed the object as Alpha's informer last saw it, or null
     * @return the object as it is now, or null when it could not be written now (it is being deleted, or a write
     *         lost a race): the next pass tries again
     */
    <T extends HasMetadata> T ensure(T desired, T observed) {
        if (observed != null && observed.getMetadata().getDeletionTimestamp() != null) {
            return null; // being deleted: it is created again once it is gone
        }
        if (!needsWrite(desired, observed)) {
            return observed;
        }
        try {
            T result = switch (strategy) {
                case SERVER_SIDE_APPLY -> client.resource(desired).inNamespace(namespace).fieldManager(FIELD_MANAGER)
                        .forceConflicts().serverSideApply();
                case CREATE_OR_UPDATE -> createOrUpdate(desired);
            };
            if (result != null) {
                remember(result);
            }
            return result;
        } catch (KubernetesClientException e) {
            if (e.getCode() == 409) {
                LOG.debugf("%s: someone else wrote it at the same time; the next pass looks again", id(desired));
                return null;
            }
            throw new IllegalStateException("cannot write " + id(desired) + ": " + describe(e), e);
        }
    }

    /**
     * Writes an object that is not reconciled from desired state (a Secret holding a key Alpha keeps nowhere else):
     * no hash annotation, always written.
     */
    <T extends HasMetadata> T write(T object) {
        try {
            T result = switch (strategy) {
                case SERVER_SIDE_APPLY -> client.resource(object).inNamespace(namespace).fieldManager(FIELD_MANAGER)
                        .forceConflicts().serverSideApply();
                case CREATE_OR_UPDATE -> {
                    T live = client.resource(object).inNamespace(namespace).get();
                    if (live == null) {
                        yield client.resource(object).inNamespace(namespace).create();
                    }
                    object.getMetadata().setResourceVersion(live.getMetadata().getResourceVersion());
                    yield client.resource(object).inNamespace(namespace).update();
                }
            };
            remember(result);
            return result;
        } catch (KubernetesClientException e) {
            throw new IllegalStateException("cannot write " + id(object) + ": " + describe(e), e);
        }
    }

    private <T extends HasMetadata> T createOrUpdate(T desired) {
        T live = client.resource(desired).inNamespace(namespace).get();
        if (live != null && live.getMetadata().getDeletionTimestamp() != null) {
            return null;
        }
        if (live == null) {
            T created = client.resource(desired).inNamespace(namespace).create();
            LOG.debugf("created %s", id(desired));
            return created;
        }
        if (!needsWrite(desired, live)) {
            return live; // the informer was behind
        }
        desired.getMetadata().setResourceVersion(live.getMetadata().getResourceVersion());
        if (desired instanceof Service service && live instanceof Service current) {
            // immutable once allocated
            service.getSpec().setClusterIP(current.getSpec().getClusterIP());
            service.getSpec().setClusterIPs(current.getSpec().getClusterIPs());
        }
        T updated = client.resource(desired).inNamespace(namespace).update();
        LOG.debugf("updated %s", id(desired));
        return updated;
    }

    /** Missing, another hash, or changed by someone else since Alpha's last write. */
    boolean needsWrite(HasMetadata desired, HasMetadata live) {
        if (live == null) {
            return true;
        }
        if (!Objects.equals(specHash(desired), specHash(live))) {
            return true;
        }
        Written last = written.get(id(live));
        if (last == null) {
            remember(live); // first sight after a start: Alpha's hash on it, so Alpha's own
            return false;
        }
        Long generation = live.getMetadata().getGeneration();
        if (generation != null && last.generation() != null) {
            return !generation.equals(last.generation());
        }
        return !Objects.equals(live.getMetadata().getResourceVersion(), last.resourceVersion());
    }

    /** Deletes an object, unless it changed since {@code observed} (then the next pass decides again). */
    void delete(HasMetadata observed, boolean foreground) {
        written.remove(id(observed));
        try {
            var resource = client.resource(observed).inNamespace(namespace);
            if (foreground) {
                resource.withPropagationPolicy(io.fabric8.kubernetes.api.model.DeletionPropagation.FOREGROUND)
                        .delete();
            } else {
                resource.delete();
            }
        } catch (KubernetesClientException e) {
            if (e.getCode() != 404 && e.getCode() != 409) {
                throw new IllegalStateException("cannot delete " + id(observed) + ": " + describe(e), e);
            }
        }
    }

    void forget(HasMetadata object) {
        written.remove(id(object));
    }

    private void remember(HasMetadata object) {
        written.put(id(object), new Written(object.getMetadata().getGeneration(),
                object.getMetadata().getResourceVersion()));
    }

    static String id(HasMetadata object) {
        return object.getKind() + "/" + object.getMetadata().getName();
    }

    /** The status and reason of a failed call, never its body (it may hold a Secret's data). */
    static String describe(KubernetesClientException e) {
        String reason = e.getStatus() == null ? null : e.getStatus().getReason();
        return e.getCode() > 0 ? "HTTP " + e.getCode() + (reason == null ? "" : " " + reason)
                : "the Kubernetes API is unreachable (" + (e.getCause() == null ? e.getClass().getSimpleName()
                        : e.getCause().getClass().getSimpleName()) + ")";
    }

    private static String sha256(String text) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(digest, 0, 16);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
