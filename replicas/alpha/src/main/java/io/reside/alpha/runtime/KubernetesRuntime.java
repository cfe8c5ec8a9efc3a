package io.reside.alpha.runtime;

import static io.reside.alpha.runtime.KubernetesObjects.KEY_ENTRY;
import static io.reside.alpha.runtime.KubernetesObjects.MANAGED_BY;
import static io.reside.alpha.runtime.KubernetesObjects.REPLICA_ID;
import static io.reside.alpha.runtime.KubernetesObjects.RESIDE;
import static io.reside.alpha.runtime.KubernetesObjects.VERSION;
import static io.reside.alpha.runtime.KubernetesObjects.instanceLabels;
import static io.reside.alpha.runtime.KubernetesObjects.oneshot;
import static io.reside.alpha.runtime.KubernetesObjects.workloadName;

import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

import org.jboss.logging.Logger;

import io.fabric8.kubernetes.api.model.ContainerStatus;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodCondition;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.DeploymentCondition;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.api.model.batch.v1.JobCondition;
import io.fabric8.kubernetes.api.model.networking.v1.Ingress;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.reside.alpha.config.AlphaConfig;
import io.reside.security.AccountKey;

/**
 * Runs each version as Kubernetes objects in one namespace (SPEC 6.1): a long-running replica's version is a
 * Deployment {@code <name>-<version>}, a oneshot's a Job; each instance has a Secret {@code <name>} with its account
 * key and, when it serves methods, a Service {@code <name>} and an Ingress path {@code /replicas/<name>/}. Every
 * object is labelled {@code app.kubernetes.io/managed-by=reside} and {@code reside.io/replica=<name>}, workloads also
 * {@code reside.io/version=<id>}.
 * <p>
 * Alpha watches what it owns through informers (each change nudges the workload reconciler) and reads their caches;
 * every pass writes through the {@link Applier} what is missing or differs, deletes what carries Alpha's labels but
 * is not wanted (the versions being stopped, and strays), and computes each version's status from its workload and
 * pods. That is drift repair: a deleted object is created again, an edited one written back, an unknown one deleted.
 * The key Secret is the exception: the key exists nowhere else, so a deleted key Secret cannot be restored, and the
 * version says so. Closing the runtime stops watching; the workloads keep running (a new Alpha takes them over).
 */
public final class KubernetesRuntime implements WorkloadRuntime {

    private static final Logger LOG = Logger.getLogger(KubernetesRuntime.class);

    static final String ACCOUNT = "reside.io/account";
    static final String SAVED_AT = "reside.io/saved-at";
    static final String CLAIM_CODE_ENTRY = "code";
    private static final Set<String> FATAL_WAITING = Set.of("ImagePullBackOff", "ErrImagePull", "InvalidImageName",
            "CreateContainerConfigError", "CreateContainerError");

    /** One rule of a Kubernetes Role: these verbs on these resources of one API group. */
    public record RbacRule(String apiGroup, List<String> resources, List<String> verbs) {
    }

    private static final List<String> OWNED = List.of("get", "list", "watch", "create", "update", "patch", "delete");

    /**
     * Everything this runtime does to the API server, in its namespace: the Role that k8s/base gives Alpha must
     * grant exactly this (KustomizeTest compares them; KubernetesRuntimeIT checks every request Alpha makes against
     * it). Reads go through informers (list, watch) and single gets; writes are create and update or a server-side
     * apply (patch); deletes are of Alpha's own objects. Pods are only watched, for the status of versions.
     */
    public static final List<RbacRule> RBAC_RULES = List.of(
            new RbacRule("apps", List.of("deployments"), OWNED),
            new RbacRule("batch", List.of("jobs"), OWNED),
            new RbacRule("", List.of("services", "secrets"), OWNED),
            new RbacRule("networking.k8s.io", List.of("ingresses", "networkpolicies"), OWNED),
            new RbacRule("", List.of("pods"), List.of("list", "watch")));

    /** Whether {@link #RBAC_RULES} allow {@code verb} on {@code resource} of {@code apiGroup}. */
    public static boolean allowed(String apiGroup, String resource, String verb) {
        return RBAC_RULES.stream().anyMatch(r -> r.apiGroup().equals(apiGroup) && r.resources().contains(resource)
                && r.verbs().contains(verb));
    }

    private final KubernetesClient client;
    private final String namespace;
    private final AlphaConfig.Kubernetes config;
    private final KubernetesObjects objects;
    private final Applier applier;
    private final SharedIndexInformer<Deployment> deployments;
    private final SharedIndexInformer<Job> jobs;
    private final SharedIndexInformer<Service> services;
    private final SharedIndexInformer<Ingress> ingresses;
    private final SharedIndexInformer<NetworkPolicy> policies;
    private final NetworkPolicies networkPolicies;
    /** RPC over TLS (alpha.tls.enabled): the cluster CA from its Secret; null when off. */
    private final KubernetesTls tls;
    private final SharedIndexInformer<Secret> secrets;
    private final SharedIndexInformer<Pod> pods;
    private volatile Runnable nudge = () -> {
    };
    /** Kind → the last error its informer met. */
    private final Map<String, String> problems = new java.util.concurrent.ConcurrentHashMap<>();

    /**
     * @param cluster the cluster's name ({@code RESIDE_CLUSTER} of every replica)
     * @param alphaEtcdEndpoints etcd as Alpha reaches it: replicas get the same unless
     *        {@code alpha.kubernetes.etcd-endpoints} says otherwise
     */
    public KubernetesRuntime(KubernetesClient client, AlphaConfig alpha, String cluster,
            List<String> alphaEtcdEndpoints) {
        AlphaConfig.Kubernetes config = alpha.kubernetes();
        this.client = client;
        this.config = config;
        this.namespace = config.namespace().or(() -> Optional.ofNullable(client.getNamespace()))
                .orElseThrow(() -> new IllegalStateException("alpha.runtime=kubernetes needs a namespace: set "
                        + "alpha.kubernetes.namespace (or quarkus.kubernetes-client.namespace); in a pod it is the "
                        + "pod's own"));
        for (String callback : config.networkPolicies().callbacks()) {
            if (!callback.matches("[a-z0-9-]+\\.v[0-9]+:[a-z0-9-]+\\.v[0-9]+")) {
                throw new IllegalStateException(
                        "alpha.kubernetes.network-policies.callbacks: '" + callback + "' is not "
                                + "<required contract>:<implemented contract> (e.g. telegram.v1:telegram-handler.v1)");
            }
        }
        NetworkPolicies.selector(config.networkPolicies().etcdSelector());
        NetworkPolicies.selector(config.networkPolicies().alphaSelector());
        this.objects = new KubernetesObjects(config, cluster, config.etcdEndpoints().orElse(alphaEtcdEndpoints), alpha
                .tls().enabled(), alpha.telemetry().otlpEndpoint(), namespace);
        this.applier = new Applier(client, namespace, config.apply());
        this.tls = alpha.tls().enabled() ? KubernetesTls.open(client, namespace, alpha.tls(), applier) : null;
        long resync = config.resync().toMillis();
        this.deployments = watch(client.apps().deployments().inNamespace(namespace).withLabel(MANAGED_BY, RESIDE)
                .runnableInformer(resync));
        this.jobs = watch(client.batch().v1().jobs().inNamespace(namespace).withLabel(MANAGED_BY, RESIDE)
                .runnableInformer(resync));
        this.services = watch(client.services().inNamespace(namespace).withLabel(MANAGED_BY, RESIDE)
                .runnableInformer(resync));
        this.ingresses = watch(client.network().v1().ingresses().inNamespace(namespace).withLabel(MANAGED_BY, RESIDE)
                .runnableInformer(resync));
        this.policies = watch(client.network().v1().networkPolicies().inNamespace(namespace).withLabel(MANAGED_BY,
                RESIDE).runnableInformer(resync));
        this.networkPolicies = new NetworkPolicies(config);
        this.secrets = watch(client.secrets().inNamespace(namespace).withLabel(MANAGED_BY, RESIDE)
                .runnableInformer(resync));
        this.pods = watch(client.pods().inNamespace(namespace).withLabel(MANAGED_BY, RESIDE).runnableInformer(resync));
        LOG.infof("kubernetes runtime: namespace %s at %s, objects written by %s", namespace,
                client.getConfiguration().getMasterUrl(), config.apply().name().toLowerCase().replace('_', '-'));
    }

    private <T extends HasMetadata> SharedIndexInformer<T> watch(SharedIndexInformer<T> informer) {
        String kind = informer.getApiTypeClass().getSimpleName();
        // by default an informer whose first list fails stops for good; Alpha's keeps trying (with the client's
        // backoff), and the runtime stays unavailable meanwhile, saying why
        informer.exceptionHandler((started, t) -> {
            String why = t instanceof KubernetesClientException k ? Applier.describe(k)
                    : t.getClass().getSimpleName() + ": " + t.getMessage();
            if (!why.equals(problems.put(kind, why))) {
                LOG.warnf("cannot watch the %ss of namespace %s (%s); retrying%s", kind, namespace, why,
                        why.contains("403") ? ": does Alpha's Role let it list and watch them?" : "");
            }
            return true;
        });
        informer.addEventHandler(new ResourceEventHandler<T>() {
            @Override
            public void onAdd(T obj) {
                nudge.run();
            }

            @Override
            public void onUpdate(T oldObj, T newObj) {
                nudge.run();
            }

            @Override
            public void onDelete(T obj, boolean deletedFinalStateUnknown) {
                nudge.run();
            }
        });
        informer.start(); // lists, then watches; retried by the client when the API server is away
        return informer;
    }

    private void requireSynced() {
        List<String> pending = new ArrayList<>();
        if (!deployments.hasSynced()) {
            pending.add("deployments");
        }
        if (!jobs.hasSynced()) {
            pending.add("jobs");
        }
        if (!services.hasSynced()) {
            pending.add("services");
        }
        if (!policies.hasSynced()) {
            pending.add("networkpolicies");
        }
        if (!ingresses.hasSynced()) {
            pending.add("ingresses");
        }
        if (!secrets.hasSynced()) {
            pending.add("secrets");
        }
        if (!pods.hasSynced()) {
            pending.add("pods");
        }
        if (pending.isEmpty()) {
            problems.clear();
        } else {
            throw new RuntimeUnavailableException("the Kubernetes API has not been read yet (" + String.join(", ",
                    pending) + " in namespace " + namespace + ")"
                    + (problems.isEmpty() ? ""
                            : ": " + problems));
        }
    }

    @Override
    public void onChange(Runnable nudge) {
        this.nudge = nudge;
    }

    // ------------------------------------------------------------------ keys

    @Override
    public void saveKey(String replicaName, String accountId, AccountKey key) {
        Secret secret = new SecretBuilder().withMetadata(new ObjectMetaBuilder().withName(replicaName)
                .withLabels(instanceLabels(replicaName)).withAnnotations(Map.of(ACCOUNT, accountId, SAVED_AT,
                        Instant.now().toString()))
                .build())
                .withType("Opaque").withData(Map.of(KEY_ENTRY, KubernetesObjects.base64(key.toPem()))).build();
        applier.write(secret);
        LOG.infof("stored the key of account %s in Secret %s", accountId, replicaName);
    }

    @Override
    public void deleteKey(String accountId) {
        for (Secret cached : secrets.getStore().list()) {
            if (accountId.equals(annotation(cached, ACCOUNT))) {
                try {
                    // a new approval may have written another key under the same name since the informer looked:
                    // read it again, and delete only that version of it (the API server checks the precondition)
                    Secret s = client.secrets().inNamespace(namespace).withName(cached.getMetadata().getName()).get();
                    if (s == null || !accountId.equals(annotation(s, ACCOUNT))) {
                        continue;
                    }
                    client.secrets().inNamespace(namespace).withName(s.getMetadata().getName())
                            .lockResourceVersion(s.getMetadata().getResourceVersion()).delete();
                } catch (KubernetesClientException e) {
                    if (e.getCode() != 404 && e.getCode() != 409) {
                        LOG.warnf("cannot delete Secret %s: %s", cached.getMetadata().getName(),
                                Applier.describe(e));
                    }
                }
            }
        }
    }

    @Override
    public Map<String, Long> storedKeys() {
        if (!secrets.hasSynced()) {
            return Map.of(); // not known yet: nothing is deleted
        }
        Map<String, Long> found = new HashMap<>();
        long now = System.currentTimeMillis();
        for (Secret s : secrets.getStore().list()) {
            String account = annotation(s, ACCOUNT);
            if (account != null) {
                found.put(account, now - savedAt(s).toEpochMilli());
            }
        }
        return found;
    }

    private static Instant savedAt(Secret s) {
        String value = annotation(s, SAVED_AT);
        try {
            if (value != null) {
                return Instant.parse(value);
            }
            if (s.getMetadata().getCreationTimestamp() != null) {
                return Instant.parse(s.getMetadata().getCreationTimestamp());
            }
        } catch (DateTimeParseException e) {
            // fall through: an edited annotation makes the key count as new, so it is kept longer, never lost early
        }
        return Instant.now();
    }

    // ------------------------------------------------------------------ the claim code

    @Override
    public Optional<String> readClaimCode() {
        Secret s = client.secrets().inNamespace(namespace).withName(config.claimCodeSecret()).get();
        if (s == null || s.getData() == null || s.getData().get(CLAIM_CODE_ENTRY) == null) {
            return Optional.empty();
        }
        return Optional.of(KubernetesObjects.text(s.getData().get(CLAIM_CODE_ENTRY)).trim());
    }

    @Override
    public void writeClaimCode(String code) {
        applier.write(new SecretBuilder().withMetadata(new ObjectMetaBuilder().withName(config.claimCodeSecret())
                .withLabels(instanceLabels("alpha")).build()).withType("Opaque")
                .withData(Map.of(CLAIM_CODE_ENTRY, KubernetesObjects.base64(code))).build());
    }

    @Override
    public void deleteClaimCode() {
        client.secrets().inNamespace(namespace).withName(config.claimCodeSecret()).delete();
    }

    @Override
    public String claimCodeLocation() {
        return "Secret " + config.claimCodeSecret() + " of namespace " + namespace + " (kubectl -n " + namespace
                + " get secret " + config.claimCodeSecret() + " -o jsonpath='{.data.code}' | base64 -d)";
    }

    // ------------------------------------------------------------------ workloads

    @Override
    public Set<String> known() {
        requireSynced();
        Set<String> keys = new HashSet<>();
        for (Deployment d : deployments.getStore().list()) {
            keyOf(d).ifPresent(keys::add);
        }
        for (Job j : jobs.getStore().list()) {
            keyOf(j).ifPresent(keys::add);
        }
        for (Pod p : pods.getStore().list()) {
            keyOf(p).ifPresent(keys::add);
        }
        return keys;
    }

    @Override
    public synchronized Map<String, Observed> reconcile(Collection<Desired> desired) {
        requireSynced();
        Map<String, Observed> observed = new HashMap<>();
        Set<String> workloads = new HashSet<>();
        Set<String> etcdSecrets = new HashSet<>();
        Map<String, Desired> serving = new LinkedHashMap<>();
        for (Desired d : desired) {
            String name = workloadName(d);
            workloads.add(name);
            if (d.etcd() != null) { // its etcd password first: the pod mounts it
                String secret = KubernetesObjects.etcdSecretName(d);
                etcdSecrets.add(secret);
                applier.ensure(applier.withSpecHash(objects.etcdSecretOf(d)), secrets.getStore().getByKey(namespace
                        + "/" + secret));
            }
            if (d.serves()) {
                serving.putIfAbsent(d.replica().name(), d);
            }
            Observed o;
            try {
                o = keySecretProblem(d).orElseGet(() -> oneshot(d) ? job(d, name) : deployment(d, name));
            } catch (IllegalStateException e) {
                LOG.warnf("%s: %s", name, e.getMessage());
                o = new Observed("degraded", e.getMessage(), Map.of());
            }
            observed.put(d.key(), o);
        }
        for (Desired d : serving.values()) {
            String name = d.replica().name();
            applier.ensure(applier.withSpecHash(objects.service(d)),
                    services.getStore().getByKey(namespace + "/" + name));
            if (config.ingress().enabled()) {
                applier.ensure(applier.withSpecHash(objects.ingress(d)), ingresses.getStore().getByKey(namespace + "/"
                        + name));
            }
        }
        Map<String, NetworkPolicy> wanted = config.networkPolicies().enabled() ? networkPolicies.of(desired)
                : Map.of();
        wanted.forEach((name, policy) -> applier.ensure(applier.withSpecHash(policy), policies.getStore().getByKey(
                namespace + "/" + name)));
        for (NetworkPolicy p : policies.getStore().list()) {
            if (!wanted.containsKey(p.getMetadata().getName())) {
                LOG.infof("deleting NetworkPolicy %s: no running replica of that name%s", p.getMetadata().getName(),
                        config.networkPolicies().enabled() ? ""
                                : " (alpha.kubernetes.network-policies.enabled is "
                                        + "false)");
                applier.delete(p, false);
            }
        }
        for (Deployment d : deployments.getStore().list()) {
            if (!workloads.contains(d.getMetadata().getName())) {
                stop(d, observed);
            }
        }
        for (Job j : jobs.getStore().list()) {
            if (!workloads.contains(j.getMetadata().getName())) {
                stop(j, observed);
            }
        }
        for (Service s : services.getStore().list()) {
            if (!serving.containsKey(s.getMetadata().getName())) {
                LOG.infof("deleting Service %s: no running replica serves there", s.getMetadata().getName());
                applier.delete(s, false);
            }
        }
        for (Ingress i : ingresses.getStore().list()) {
            if (!config.ingress().enabled() || !serving.containsKey(i.getMetadata().getName())) {
                LOG.infof("deleting Ingress %s: no running replica serves there", i.getMetadata().getName());
                applier.delete(i, false);
            }
        }
        for (Secret s : secrets.getStore().list()) {
            if (annotation(s, KubernetesObjects.ETCD_USER) != null) {
                if (!etcdSecrets.contains(s.getMetadata().getName())) {
                    LOG.infof("deleting Secret %s: the etcd password of a version that no longer runs",
                            s.getMetadata().getName());
                    applier.delete(s, false);
                }
            } else if (annotation(s, ACCOUNT) == null && !s.getMetadata().getName().equals(config
                    .claimCodeSecret())) {
                LOG.infof("deleting Secret %s: it carries Alpha's labels but holds no key", s.getMetadata().getName());
                applier.delete(s, false);
            }
        }
        for (Pod p : pods.getStore().list()) { // pods whose workload is gone, still shutting down
            keyOf(p).filter(k -> !observed.containsKey(k)).ifPresent(k -> observed.put(k, new Observed("stopping",
                    null, Map.of())));
        }
        return observed;
    }

    /**
     * Alpha's own Deployment (not one of Alpha's objects: k8s/base's, without Alpha's labels) runs {@code current}'s
     * image: Alpha sets the image of its container, and Kubernetes rolls it out (the new Alpha starts beside the old
     * one, which stops once the new one is ready: TwoAlphasIT shows two Alphas side by side are safe). The new Alpha,
     * or this one meanwhile, sees the rollout in the Deployment's status.
     */
    @Override
    public Map<String, Observed> reconcileSelf(io.reside.alpha.service.Records.VersionRecord current,
            Collection<io.reside.alpha.service.Records.VersionRecord> versions) {
        String name = config.selfDeployment();
        Deployment d;
        try {
            d = client.apps().deployments().inNamespace(namespace).withName(name).get();
        } catch (KubernetesClientException e) {
            throw new RuntimeUnavailableException("cannot read Alpha's Deployment " + name + ": " + Applier.describe(
                    e));
        }
        Map<String, Observed> observed = new HashMap<>();
        String currentKey = Desired.key(current.replicaId(), current.id());
        if (d == null) {
            observed.put(currentKey, new Observed("error", "Alpha's own Deployment " + name + " is not in namespace "
                    + namespace + " (alpha.kubernetes.self-deployment): Alpha cannot update itself", Map.of()));
            return observed;
        }
        if (current.digest() == null) {
            observed.put(currentKey, new Observed("error", "version " + current.id() + " is the Alpha that "
                    + "bootstrapped the cluster: its image was never recorded, so it cannot be deployed again; roll "
                    + "back to a version loaded through a load request, or set the Deployment's image", Map.of()));
            return observed;
        }
        String wanted = KubernetesObjects.image(current);
        var containers = d.getSpec().getTemplate().getSpec().getContainers();
        var container = containers.stream().filter(c -> "alpha".equals(c.getName())).findFirst().orElse(containers
                .get(0));
        boolean rolledOut = false;
        if (!wanted.equals(container.getImage())) {
            LOG.infof("updating Alpha itself to version %d: Deployment %s, container %s, image %s (was %s)", current
                    .id(), name, container.getName(), wanted, container.getImage());
            String containerName = container.getName();
            try {
                client.apps().deployments().inNamespace(namespace).withName(name).edit(x -> {
                    x.getSpec().getTemplate().getSpec().getContainers().stream().filter(c -> c.getName().equals(
                            containerName)).forEach(c -> c.setImage(wanted));
                    return x;
                });
            } catch (KubernetesClientException e) {
                throw new RuntimeUnavailableException("cannot set the image of Alpha's Deployment " + name + ": "
                        + Applier.describe(e));
            }
            observed.put(currentKey, new Observed("starting", "rolling out Alpha's Deployment " + name, Map.of()));
        } else {
            var status = d.getStatus();
            int replicas = d.getSpec().getReplicas() == null ? 1 : d.getSpec().getReplicas();
            Long generation = d.getMetadata().getGeneration();
            rolledOut = status != null && (status.getObservedGeneration() == null || generation == null || status
                    .getObservedGeneration() >= generation) && count(status.getUpdatedReplicas()) >= replicas
                    && count(status.getAvailableReplicas()) >= replicas && count(status.getReplicas()) <= replicas;
            observed.put(currentKey, rolledOut ? new Observed("running", null, Map.of())
                    : new Observed("starting", "rolling out Alpha's Deployment " + name, Map.of()));
        }
        for (var v : versions) {
            if (v.id() != current.id()) {
                observed.put(Desired.key(v.replicaId(), v.id()), new Observed(rolledOut ? "stopped" : "stopping",
                        null, Map.of()));
            }
        }
        return observed;
    }

    private static int count(Integer n) {
        return n == null ? 0 : n;
    }

    /** A version whose key Secret is gone cannot start: the key is nowhere else. */
    private Optional<Observed> keySecretProblem(Desired d) {
        String name = d.replica().name();
        Secret s = secrets.getStore().getByKey(namespace + "/" + name);
        if (s == null) {
            s = client.secrets().inNamespace(namespace).withName(name).get(); // the informer may be behind
        }
        if (s != null && d.replica().accountId().equals(annotation(s, ACCOUNT))) {
            if (tls != null) {
                tls.ensureCertificate(s, name, d.replica().accountId());
            }
            return Optional.empty();
        }
        return Optional.of(new Observed("error", "Secret " + name + " with the key of account "
                + d.replica().accountId() + " is missing or holds another key; the key exists nowhere else: unload "
                + "the replica and load it again", Map.of()));
    }

    private void stop(HasMetadata workload, Map<String, Observed> observed) {
        Optional<String> key = keyOf(workload);
        if (workload.getMetadata().getDeletionTimestamp() == null) {
            LOG.infof("deleting %s%s", Applier.id(workload), key.isPresent() ? ""
                    : " (it carries Alpha's labels "
                            + "but no version Alpha knows)");
            applier.delete(workload, true);
        }
        key.ifPresent(k -> observed.put(k, new Observed("stopping", null, Map.of())));
    }

    private Observed deployment(Desired d, String name) {
        Deployment live = deployments.getStore().getByKey(namespace + "/" + name);
        Deployment now = applier.ensure(applier.withSpecHash(objects.deploymentOf(d, name)), live);
        Deployment seen = now != null ? now : live;
        if (seen == null || seen.getMetadata().getDeletionTimestamp() != null) {
            return new Observed("starting", seen == null ? null : "waiting for the deleted Deployment to go",
                    Map.of());
        }
        var status = seen.getStatus();
        int ready = status == null || status.getReadyReplicas() == null ? 0 : status.getReadyReplicas();
        Long generation = seen.getMetadata().getGeneration();
        boolean current = status == null || status.getObservedGeneration() == null || generation == null
                || status.getObservedGeneration() >= generation;
        if (ready >= 1 && current) {
            return new Observed("running", null, objects.endpoints(d));
        }
        Optional<Observed> pods = podProblem(d);
        if (status != null && status.getConditions() != null) {
            for (DeploymentCondition c : status.getConditions()) {
                if ("Progressing".equals(c.getType()) && "False".equals(c.getStatus())
                        && "ProgressDeadlineExceeded".equals(c.getReason())) {
                    return new Observed("error", "not ready within its progress deadline"
                            + pods.map(p -> ": " + p.message()).orElse(""), Map.of());
                }
            }
        }
        return pods.orElse(new Observed("starting", null, Map.of()));
    }

    private Observed job(Desired d, String name) {
        Job live = jobs.getStore().getByKey(namespace + "/" + name);
        if (live == null && "completed".equals(d.version().status())) {
            return new Observed("completed", null, Map.of()); // a oneshot that finished is not run again
        }
        // a Job's template cannot change: it is only ever created
        Job seen = live != null ? live : applier.ensure(applier.withSpecHash(objects.jobOf(d, name)), null);
        if (seen == null || seen.getStatus() == null) {
            return new Observed("starting", null, Map.of());
        }
        var status = seen.getStatus();
        if (status.getSucceeded() != null && status.getSucceeded() >= 1) {
            return new Observed("completed", null, Map.of());
        }
        if (status.getConditions() != null) {
            for (JobCondition c : status.getConditions()) {
                if ("Failed".equals(c.getType()) && "True".equals(c.getStatus())) {
                    return new Observed("error", "the Job failed: " + (c.getMessage() != null ? c.getMessage()
                            : c.getReason()), Map.of());
                }
            }
        }
        Optional<Observed> pods = podProblem(d);
        if (pods.isPresent()) {
            return pods.get();
        }
        return status.getActive() != null && status.getActive() >= 1
                ? new Observed("running", null, objects.endpoints(d))
                : new Observed("starting", null, Map.of());
    }

    /**
     * What the pods of a version that is not ready say: unschedulable, an image that cannot be pulled, a crash loop.
     */
    private Optional<Observed> podProblem(Desired d) {
        for (Pod p : pods.getStore().list()) {
            if (!keyOf(p).map(d.key()::equals).orElse(false) || p.getStatus() == null) {
                continue;
            }
            if (p.getStatus().getConditions() != null) {
                for (PodCondition c : p.getStatus().getConditions()) {
                    if ("PodScheduled".equals(c.getType()) && "False".equals(c.getStatus())) {
                        return Optional.of(new Observed("degraded", "cannot be scheduled" + (d.replica()
                                .placementGroup() == null ? "" : " in placement group " + d.replica().placementGroup())
                                + ": " + c.getMessage(), Map.of()));
                    }
                }
            }
            if (p.getStatus().getContainerStatuses() == null) {
                continue;
            }
            for (ContainerStatus c : p.getStatus().getContainerStatuses()) {
                var waiting = c.getState() == null ? null : c.getState().getWaiting();
                if (waiting != null && FATAL_WAITING.contains(waiting.getReason())) {
                    return Optional.of(new Observed("error", waiting.getReason() + (waiting.getMessage() == null ? ""
                            : ": " + waiting.getMessage()), Map.of()));
                }
                if (c.getRestartCount() != null && c.getRestartCount() > 0) {
                    var last = c.getLastState() == null ? null : c.getLastState().getTerminated();
                    return Optional.of(new Observed("degraded", "restarted " + c.getRestartCount() + " times"
                            + (last == null ? ""
                                    : "; last exit " + last.getExitCode() + (last.getReason() == null ? ""
                                            : " (" + last.getReason() + ")"))
                            + " (kubectl -n " + namespace + " logs " + p.getMetadata().getName() + " --previous)",
                            Map.of()));
                }
            }
        }
        return Optional.empty();
    }

    @Override
    public void close() {
        for (SharedIndexInformer<?> i : List.of(deployments, jobs, services, ingresses, policies, secrets,
                pods)) {
            i.stop();
        }
    }

    // ------------------------------------------------------------------ helpers

    /** The version an object belongs to, from its {@value #REPLICA_ID} annotation and {@value #VERSION} label. */
    static Optional<String> keyOf(HasMetadata object) {
        String id = annotation(object, REPLICA_ID);
        Map<String, String> labels = object.getMetadata().getLabels();
        String version = labels == null ? null : labels.get(VERSION);
        if (id == null || version == null || !version.matches("[1-9][0-9]{0,8}")) {
            return Optional.empty();
        }
        return Optional.of(Desired.key(id, Integer.parseInt(version)));
    }

    private static String annotation(HasMetadata object, String name) {
        Map<String, String> annotations = object.getMetadata().getAnnotations();
        return annotations == null ? null : annotations.get(name);
    }

    /** Pods reach Alpha through its Service {@code alpha} in its namespace (k8s/base names it so). */
    @Override
    public Map<String, String> selfEndpoints(int port) {
        // with TLS on, Alpha serves HTTPS too (k8s/overlays/production: its certificate in the Secret alpha-tls)
        return Map.of("internal", (tls == null ? "http" : "https") + "://alpha." + namespace + ".svc:" + port);
    }

    String namespace() {
        return namespace;
    }

    /** For tests: how long until the informers have read everything once. */
    boolean awaitSynced(Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            try {
                requireSynced();
                return true;
            } catch (RuntimeUnavailableException e) {
                try {
                    Thread.sleep(20);
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                    return false;
                }
            }
        }
        return false;
    }
}
