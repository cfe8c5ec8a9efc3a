package io.reside.alpha.service;

import java.security.SecureRandom;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;

import org.jboss.logging.Logger;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

import io.reside.alpha.config.AlphaConfig;
import io.reside.alpha.runtime.WorkloadRuntime;
import io.reside.contracts.alpha.v1.AlphaApi;
import io.reside.etcd.AlreadyExistsException;
import io.reside.etcd.Store;
import io.reside.etcd.Tx;
import io.reside.etcd.Versioned;
import io.reside.images.ImageReference;
import io.reside.images.RegistryClient;
import io.reside.images.RegistryException;
import io.reside.model.PermissionParams;
import io.reside.model.error.ResideException;
import io.reside.model.manifest.ContractManifest;
import io.reside.model.manifest.Manifest;
import io.reside.model.manifest.ManifestException;
import io.reside.model.manifest.Manifests;
import io.reside.model.manifest.ReplicaManifest;
import io.reside.permissions.GrantSource;
import io.reside.permissions.GrantSpec;
import io.reside.permissions.Rcb;
import io.reside.permissions.RcbAdmin;
import io.reside.runtime.ReplicaStarted;
import io.reside.security.AccountKey;
import io.reside.security.AccountRegistry;

/**
 * Load requests (SPEC 6.1): created, validated asynchronously (steps 1 to 6), then approved or rejected. Every
 * transition is one transaction and happens only from the state the rules allow; approval writes everything a new
 * version needs (and, for a new instance, its account, RCB and wiring) atomically, after saving the new key where its
 * workload will read it, so that a crash at any instant leaves no instance or a complete one.
 */
@ApplicationScoped
public class LoadRequests {

    private static final Logger LOG = Logger.getLogger(LoadRequests.class);
    private static final SecureRandom RANDOM = new SecureRandom();
    static final String VALIDATING = "validating";
    static final String INVALID = "invalid";
    static final String REQUIRES_APPROVAL = "requires-approval";
    static final String APPROVED = "approved";
    static final String REJECTED = "rejected";
    private static final String PLACEHOLDER = "{replica.name}";
    private static final String USER_MANAGER_CONTRACT = "/contracts/user-manager.v1";

    @Inject
    Store store;

    @Inject
    RegistryClient registry;

    @Inject
    AlphaConfig config;

    @Inject
    WorkloadRuntime runtime;

    private final ExecutorService validations = Executors.newFixedThreadPool(4, r -> {
        Thread t = new Thread(r, "alpha-validation");
        t.setDaemon(true);
        return t;
    });

    /** Requests left validating by a crash are validated again once Alpha serves. */
    void resume(@Observes ReplicaStarted started) {
        for (Versioned<AlphaApi.LoadRequest> r : store.list(Records.LOAD_REQUEST, Records.LOAD_REQUESTS)) {
            if (VALIDATING.equals(r.value().status())) {
                validations.submit(() -> validate(r.value().id()));
            }
        }
    }

    @PreDestroy
    void stop() {
        validations.shutdownNow();
    }

    // ------------------------------------------------------------------ create

    /** Records the request as {@code validating} and validates it in the background. */
    public AlphaApi.LoadRequest create(String caller, AlphaApi.CreateLoadRequest request) {
        ImageReference image = parseImage(request.image());
        if (request.name() != null && !request.name().isBlank()
                && !io.reside.model.manifest.ManifestValidator.REPLICA_NAME.matcher(request.name()).matches()) {
            throw new ResideException.InvalidInputException("name '" + request.name() + "' "
                    + io.reside.model.manifest.ManifestValidator.REPLICA_NAME_RULE);
        }
        String id = "lr-" + random();
        Instant now = Instant.now();
        AlphaApi.LoadRequest created = new AlphaApi.LoadRequest(id, VALIDATING, image.toString(),
                request.ownerId() == null ? caller : request.ownerId(), blankToNull(request.name()),
                blankToNull(request.replicaId()), null, null, null, now, now);
        store.run(tx -> {
            tx.create(Records.LOAD_REQUEST, Records.loadRequestKey(id), created);
            return null;
        });
        validations.submit(() -> validate(id));
        return created;
    }

    static ImageReference parseImage(String image) {
        try {
            return ImageReference.parse(image);
        } catch (ImageReference.InvalidImageReferenceException e) {
            throw new ResideException.InvalidInputException(e.getMessage());
        }
    }

    // ------------------------------------------------------------------ validate (steps 1 to 6)

    /** Validates a request in {@code validating}: the plan and {@code requires-approval}, or {@code invalid}. */
    void validate(String id) {
        AlphaApi.LoadRequest request = store.find(Records.LOAD_REQUEST, Records.loadRequestKey(id))
                .map(Versioned::value).orElse(null);
        if (request == null || !VALIDATING.equals(request.status())) {
            return;
        }
        Validated outcome;
        try {
            outcome = plan(request);
        } catch (Invalid | RegistryException e) {
            outcome = new Validated(null, List.of(), e.getMessage(), List.of());
        } catch (RuntimeException e) {
            LOG.errorf(e, "validating load request %s failed", id);
            outcome = new Validated(null, List.of(), "validation failed unexpectedly (see Alpha's log); create the "
                    + "request again", List.of());
        }
        Validated result = outcome;
        for (int suffix = 0;; suffix++) {
            int attempt = suffix;
            try {
                store.run(tx -> {
                    AlphaApi.LoadRequest now = tx.get(Records.LOAD_REQUEST, Records.loadRequestKey(id));
                    if (!VALIDATING.equals(now.status())) {
                        return null;
                    }
                    if (result.plan() == null) {
                        tx.put(Records.LOAD_REQUEST, Records.loadRequestKey(id), with(now, INVALID, null,
                                result.error(), null));
                        return null;
                    }
                    result.contracts().forEach(c -> RcbAdmin.registerContract(tx, c));
                    AlphaApi.Plan plan = result.named(result.plan().update() ? result.plan().name()
                            : freeName(tx, result.plan().name(), id, attempt));
                    tx.put(Records.LOAD_REQUEST, Records.loadRequestKey(id), with(now, REQUIRES_APPROVAL, plan, null,
                            null));
                    return null;
                });
                break;
            } catch (AlreadyExistsException e) {
                if (suffix > 100) {
                    throw e;
                }
                // another request took the name at the same instant: the next suffix
            }
        }
        LOG.infof("load request %s: %s", id, result.plan() == null ? INVALID + " (" + result.error() + ")"
                : REQUIRES_APPROVAL);
    }

    /** A static permission as the manifest asks for it: its params may hold {@code {replica.name}}. */
    private record RawPermission(String requirement, String contract, String permission, ObjectNode params,
            List<String> instanceKeys) {
    }

    /**
     * What validation found: a plan whose name is still to be made free, with the static permissions to substitute
     * once it is; or the error.
     */
    private record Validated(AlphaApi.Plan plan, List<RawPermission> permissions, String error,
            List<ContractManifest> contracts) {

        /** The plan for the instance name {@code name}, with {@code {replica.name}} substituted everywhere. */
        AlphaApi.Plan named(String name) {
            List<AlphaApi.PlannedPermission> substituted = new ArrayList<>();
            for (RawPermission p : permissions) {
                ObjectNode params = substitute(p.params(), name);
                substituted.add(new AlphaApi.PlannedPermission(p.requirement(), p.contract(), p.permission(), params,
                        PermissionParams.instanceId(p.instanceKeys(), params)));
            }
            return new AlphaApi.Plan(plan.update(), plan.replicaId(), name, plan.identity(), plan.image(),
                    plan.digest(), plan.replicaClass(), plan.exclusive(), plan.scalable(), plan.requirements(),
                    List.copyOf(substituted), plan.implementations());
        }
    }

    /** A request that cannot be approved; the message says what to do. */
    static final class Invalid extends RuntimeException {
        private static final long serialVersionUID = 1L;

        Invalid(String message) {
            super(message, null, false, false);
        }
    }

    private Validated plan(AlphaApi.LoadRequest request) {
        // 1-2: the image, its digest, its manifest from the label; a replica whose identity is the image's
        ImageReference image = parseImage(request.image());
        RegistryClient.ResolvedImage resolved = registry.resolve(image);
        Manifest parsed;
        try {
            parsed = Manifests.parse(registry.manifestLabel(resolved), image.toString());
        } catch (ManifestException e) {
            throw new Invalid(
                    "the io.reside.manifest label of " + image + " is not a valid manifest: " + e.getMessage());
        }
        if (!(parsed instanceof ReplicaManifest manifest)) {
            throw new Invalid(image + " is a contract image, not a replica: load an image built from a replica module");
        }
        if (!manifest.identity().equals(image.identity())) {
            throw new Invalid("the manifest of " + image + " is for " + manifest.identity() + ", not for the image's "
                    + "identity " + image.identity() + ": push the replica under its own identity");
        }
        // 3: update or new instance
        Records.ReplicaRecord existing = existingInstance(request, manifest);
        if (existing != null && existing.id().equals(Records.ALPHA_ID)) {
            // an update of Alpha itself: its runtime sets the image of Alpha's own workload once approved, where it
            // can (Kubernetes); the local runtime does not run Alpha, so a version record would never start
            Optional<String> refusal = runtime.selfUpdateRefusal();
            if (refusal.isPresent()) {
                throw new Invalid("Alpha cannot update itself here: " + refusal.get());
            }
        }
        // 4: the name (a new instance's is made free at commit, with -1, -2... on conflict)
        String name = existing != null ? existing.name()
                : request.requestedName() != null ? request.requestedName() : manifest.info().name();
        // 5: requirements: contracts, implementors, static permissions
        List<ContractManifest> contracts = new ArrayList<>();
        Map<String, AlphaApi.PlannedRequirement> requirements = new LinkedHashMap<>();
        List<RawPermission> permissions = new ArrayList<>();
        for (Map.Entry<String, ReplicaManifest.Requirement> e : manifest.requirements().entrySet()) {
            ReplicaManifest.Requirement req = e.getValue();
            ContractManifest contract = contract(req.identity());
            contracts.add(contract);
            List<AlphaApi.Candidate> candidates = implementors(req.identity(), existing);
            if (candidates.isEmpty() && !req.optional()) {
                throw new Invalid("requirement '" + e.getKey() + "' needs an implementor of " + req.identity()
                        + ": load a replica implementing " + req.identity() + " first");
            }
            List<String> chosen = candidates.isEmpty() ? List.of()
                    : req.multiple()
                            ? candidates.stream().map(AlphaApi.Candidate::replicaId).toList()
                            : List.of(candidates.get(0).replicaId());
            requirements.put(e.getKey(), new AlphaApi.PlannedRequirement(req.identity(), req.optional(),
                    req.multiple(), candidates, chosen));
            for (ReplicaManifest.StaticPermission p : req.permissions()) {
                ContractManifest.Permission def = contract.permissions().get(p.name());
                if (def == null) {
                    throw new Invalid("requirement '" + e.getKey() + "' asks for permission '" + p.name() + "', which "
                            + req.identity() + " does not define (it defines: " + String.join(", ",
                                    contract.permissions().keySet())
                            + ")");
                }
                // a name with a suffix (-1, -2...) fits wherever the name does
                List<String> problems = PermissionParams.validate(def.params(), substitute(p.params(), name));
                if (!problems.isEmpty()) {
                    throw new Invalid("requirement '" + e.getKey() + "': the params of permission '" + p.name()
                            + "' do not fit it: " + String.join("; ", problems));
                }
                permissions.add(new RawPermission(e.getKey(), req.identity(), p.name(), p.params(),
                        def.instanceKeys()));
            }
        }
        for (ReplicaManifest.Implementation impl : manifest.implementations().values()) {
            contracts.add(contract(impl.identity()));
        }
        AlphaApi.Plan plan = new AlphaApi.Plan(existing != null, existing == null ? null : existing.id(), name,
                manifest.identity(), image.withDigest(resolved.digest()).toString(), resolved.digest(),
                manifest.info().replicaClass(), manifest.info().exclusive(), manifest.info().scalable(), requirements,
                List.of(), manifest.implementations().values().stream().map(ReplicaManifest.Implementation::identity)
                        .toList());
        return new Validated(plan, List.copyOf(permissions), null, contracts);
    }

    private Records.ReplicaRecord existingInstance(AlphaApi.LoadRequest request, ReplicaManifest manifest) {
        if (request.replicaId() != null) {
            Records.ReplicaRecord r = store.find(Records.REPLICA, Records.replicaKey(request.replicaId()))
                    .map(Versioned::value).orElseThrow(() -> new Invalid("there is no instance " + request.replicaId()
                            + " to update"));
            if (!r.identity().equals(manifest.identity())) {
                throw new Invalid("instance " + r.id() + " is " + r.identity() + ", not " + manifest.identity()
                        + ": an instance is updated only with images of its own replica");
            }
            return r;
        }
        if (manifest.info().exclusive()) {
            Optional<String> id = Records.EXCLUSIVE.find(store, manifest.identity());
            if (id.isPresent()) {
                return store.find(Records.REPLICA, Records.replicaKey(id.get())).map(Versioned::value).orElse(null);
            }
        }
        return null;
    }

    /** A contract's manifest: known to the cluster already, else from its image ({@code <identity>:<tag>}). */
    private ContractManifest contract(String identity) {
        Optional<ContractManifest> known = store.find(RcbAdmin.CONTRACT, io.reside.permissions.GrantKeys
                .contractKey(identity)).map(v -> v.value().manifest());
        ImageReference ref = parseImage(identity + ":" + config.registry().contractTag());
        try {
            RegistryClient.ResolvedImage image = registry.resolve(ref);
            Manifest m = Manifests.parse(registry.manifestLabel(image), ref.toString());
            if (!(m instanceof ContractManifest c) || !c.identity().equals(identity)) {
                throw new Invalid("image " + ref + " is not the contract " + identity);
            }
            return c;
        } catch (RegistryException e) {
            if (known.isPresent()) {
                return known.get();
            }
            throw new Invalid("the contract " + identity + " is not known to the cluster and its image " + ref
                    + " cannot be read (" + e.getMessage() + "): push the contract's image");
        } catch (ManifestException e) {
            throw new Invalid("the io.reside.manifest label of " + ref + " is not a valid manifest: " + e.getMessage());
        }
    }

    /** The instances implementing a contract, in name order; an instance being updated is not its own candidate. */
    private List<AlphaApi.Candidate> implementors(String contract, Records.ReplicaRecord self) {
        Set<String> ids = store.find(RcbAdmin.REPLICA_IDS, io.reside.permissions.GrantKeys.implementorsKey(contract))
                .map(v -> v.value().replicaIds()).orElse(Set.of());
        List<AlphaApi.Candidate> result = new ArrayList<>();
        for (String id : new TreeSet<>(ids)) {
            if (self != null && self.id().equals(id)) {
                continue;
            }
            store.find(Records.REPLICA, Records.replicaKey(id)).ifPresent(r -> result.add(new AlphaApi.Candidate(id,
                    r.value().name())));
        }
        result.sort(java.util.Comparator.comparing(AlphaApi.Candidate::name));
        return result;
    }

    /** The first of name, name-1, name-2... (from {@code from}) that no instance or other request holds. */
    private static String freeName(Tx tx, String name, String requestId, int from) {
        for (int i = from;; i++) {
            String candidate = i == 0 ? name : name + "-" + i;
            Optional<String> holder = Records.NAMES.find(tx, candidate);
            if (holder.isEmpty()) {
                Records.NAMES.claim(tx, candidate, Records.reservation(requestId));
                return candidate;
            }
            if (holder.get().equals(Records.reservation(requestId))) {
                return candidate;
            }
        }
    }

    private static ObjectNode substitute(ObjectNode params, String name) {
        ObjectNode result = params == null ? JsonNodeFactory.instance.objectNode() : params.deepCopy();
        result.fields().forEachRemaining(f -> {
            if (f.getValue().isTextual() && f.getValue().asText().contains(PLACEHOLDER)) {
                f.setValue(JsonNodeFactory.instance.textNode(f.getValue().asText().replace(PLACEHOLDER, name)));
            }
        });
        return result;
    }

    // ------------------------------------------------------------------ approve and reject

    /**
     * Approves a request in {@code requires-approval}: the version (and for a new instance its account, key, RCB
     * and wiring), the static grants in the implementors' RCBs, and, for the User Manager, its designation.
     */
    public AlphaApi.Approval approve(String caller, AlphaApi.ApproveLoadRequest request) {
        AlphaApi.LoadRequest found = get(request.id());
        requireState(found, REQUIRES_APPROVAL, "approved");
        AlphaApi.Plan plan = found.plan();
        Map<String, List<String>> chosen = chosen(plan, request.requirementReplicaIds());
        AccountKey key = plan.update() ? null : AccountKey.generate();
        if (key != null) {
            try {
                // before the commit: a committed account always has its key
                runtime.saveKey(plan.name(), key.accountId(), key);
            } catch (RuntimeException e) {
                LOG.warnf("load request %s: cannot store the new instance's key: %s", request.id(), e.getMessage());
                throw new ResideException.UnavailableException("cannot store the key of the new instance ("
                        + e.getMessage() + "): nothing was approved; approve again once the runtime is reachable");
            }
        }
        crashIfTold("approve-after-key");
        AlphaApi.Version version = store.run(tx -> {
            AlphaApi.LoadRequest now = tx.get(Records.LOAD_REQUEST, Records.loadRequestKey(request.id()));
            requireState(now, REQUIRES_APPROVAL, "approved");
            ReplicaManifest manifest = manifestOf(tx, now);
            Records.ReplicaRecord replica;
            int versionId;
            if (plan.update()) {
                replica = tx.find(Records.REPLICA, Records.replicaKey(plan.replicaId())).orElseThrow(
                        () -> new ResideException.NotAllowedInStateException("instance " + plan.replicaId()
                                + " was unloaded since the request was validated: create a new load request"));
                versionId = replica.lastVersionId() + 1;
                replica = replica.withCurrentVersion(versionId, manifest);
                RcbAdmin.setRequirements(tx, replica.id(), wiring(tx, chosen));
            } else {
                if (plan.exclusive() && Records.EXCLUSIVE.find(tx, plan.identity()).isPresent()) {
                    throw new ResideException.ConflictException("an instance of the exclusive replica "
                            + plan.identity() + " was loaded since this request was validated: create a new load "
                            + "request, which will update it");
                }
                String id = "r-" + random();
                Records.NAMES.release(tx, plan.name(), Records.reservation(now.id()));
                Records.NAMES.claim(tx, plan.name(), id);
                if (plan.exclusive()) {
                    Records.EXCLUSIVE.claim(tx, plan.identity(), id);
                }
                AccountRegistry.register(tx, key.publicKey(), AccountRegistry.Kind.REPLICA, plan.name());
                RcbAdmin.createRcb(tx, new Rcb(id, plan.name(), key.accountId(), plan.digest(),
                        plan.implementations(), wiring(tx, chosen)));
                versionId = 1;
                replica = new Records.ReplicaRecord(id, plan.name(), plan.identity(), manifest, key.accountId(), true,
                        null, 1, 1, Map.of(), Instant.now());
                if (plan.implementations().stream().anyMatch(c -> c.endsWith(USER_MANAGER_CONTRACT))) {
                    AccountRegistry.designateUserManager(tx, key.accountId());
                }
            }
            tx.put(Records.REPLICA, Records.replicaKey(replica.id()), replica);
            Records.VersionRecord v = new Records.VersionRecord(replica.id(), versionId, plan.image(), plan.digest(),
                    manifest, chosen, plan.permissions(), "starting", null, Instant.now());
            tx.put(Records.VERSION, Records.versionKey(replica.id(), versionId), v);
            RcbAdmin.syncGrants(tx, replica.accountId(), GrantSource.STATIC, staticSets(plan, chosen));
            tx.put(Records.LOAD_REQUEST, Records.loadRequestKey(now.id()), with(now, APPROVED, withChosen(plan,
                    chosen, replica.id()), null, null));
            return Views.version(v);
        });
        crashIfTold("approve-after-commit");
        AlphaApi.LoadRequest approved = get(request.id());
        LOG.infof("load request %s approved by %s: %s version %d", request.id(), caller, approved.plan().name(),
                version.id());
        return new AlphaApi.Approval(approved, version);
    }

    /** Tests only: halts as a SIGKILL would, once per file in alpha.testing.crash-points. */
    private void crashIfTold(String point) {
        if (config.testing().crashPoints().isEmpty()) {
            return;
        }
        try {
            if (java.nio.file.Files.deleteIfExists(config.testing().crashPoints().get().resolve(point))) {
                LOG.warnf("alpha.testing.crash-points: halting at %s", point);
                Runtime.getRuntime().halt(137);
            }
        } catch (java.io.IOException e) {
            LOG.warnf("cannot delete crash point %s: %s", point, e.getMessage());
        }
    }

    public AlphaApi.LoadRequest reject(String caller, AlphaApi.RejectLoadRequest request) {
        return store.run(tx -> {
            AlphaApi.LoadRequest now = tx.find(Records.LOAD_REQUEST, Records.loadRequestKey(request.id()))
                    .orElseThrow(() -> notFound(request.id()));
            requireState(now, REQUIRES_APPROVAL, "rejected");
            if (now.plan() != null && !now.plan().update()) {
                Records.NAMES.release(tx, now.plan().name(), Records.reservation(now.id()));
            }
            AlphaApi.LoadRequest rejected = with(now, REJECTED, now.plan(), null, request.reason() == null
                    ? "rejected by " + caller
                    : request.reason());
            tx.put(Records.LOAD_REQUEST, Records.loadRequestKey(now.id()), rejected);
            return rejected;
        });
    }

    public AlphaApi.LoadRequest get(String id) {
        return store.find(Records.LOAD_REQUEST, Records.loadRequestKey(id)).map(Versioned::value)
                .orElseThrow(() -> notFound(id));
    }

    public List<AlphaApi.LoadRequest> list() {
        return store.list(Records.LOAD_REQUEST, Records.LOAD_REQUESTS).stream().map(Versioned::value).toList();
    }

    private static ResideException.NotFoundException notFound(String id) {
        return new ResideException.NotFoundException("there is no load request " + id);
    }

    private static void requireState(AlphaApi.LoadRequest r, String state, String wanted) {
        if (!state.equals(r.status())) {
            throw new ResideException.NotAllowedInStateException("load request " + r.id() + " is " + r.status()
                    + ": only a request in " + state + " can be " + wanted);
        }
    }

    /** The plan's choices, or the caller's, each of which must be among the candidates. */
    private static Map<String, List<String>> chosen(AlphaApi.Plan plan, Map<String, List<String>> override) {
        Map<String, List<String>> result = new LinkedHashMap<>();
        plan.requirements().forEach((key, req) -> result.put(key, req.chosen()));
        if (override == null) {
            return result;
        }
        for (Map.Entry<String, List<String>> e : override.entrySet()) {
            AlphaApi.PlannedRequirement req = plan.requirements().get(e.getKey());
            if (req == null) {
                throw new ResideException.InvalidInputException("the replica has no requirement '" + e.getKey()
                        + "' (it has: " + String.join(", ", plan.requirements().keySet()) + ")");
            }
            Set<String> candidates = new TreeSet<>();
            req.candidates().forEach(c -> candidates.add(c.replicaId()));
            List<String> ids = e.getValue() == null ? List.of() : e.getValue();
            for (String id : ids) {
                if (!candidates.contains(id)) {
                    throw new ResideException.InvalidInputException("requirement '" + e.getKey() + "': " + id
                            + " does not implement " + req.contract() + " (candidates: " + candidates + ")");
                }
            }
            if (ids.isEmpty() && !req.optional()) {
                throw new ResideException.InvalidInputException("requirement '" + e.getKey() + "' is not optional: "
                        + "choose one of " + candidates);
            }
            if (ids.size() > 1 && !req.multiple()) {
                throw new ResideException.InvalidInputException("requirement '" + e.getKey() + "' takes one "
                        + "implementor, not " + ids.size());
            }
            result.put(e.getKey(), List.copyOf(ids));
        }
        return result;
    }

    /** The implementors of each requirement as an RCB names them, with the endpoints they serve at now. */
    private static Map<String, List<Rcb.Implementor>> wiring(Tx tx, Map<String, List<String>> chosen) {
        Map<String, List<Rcb.Implementor>> result = new LinkedHashMap<>();
        chosen.forEach((key, ids) -> {
            List<Rcb.Implementor> list = new ArrayList<>();
            for (String id : ids) {
                Records.ReplicaRecord r = tx.find(Records.REPLICA, Records.replicaKey(id)).orElseThrow(
                        () -> new ResideException.NotAllowedInStateException("implementor " + id + " of requirement '"
                                + key + "' was unloaded: create a new load request"));
                list.add(new Rcb.Implementor(r.id(), r.name(), r.accountId(), r.endpoints()));
            }
            result.put(key, list);
        });
        return result;
    }

    /** The static grants: each requirement's permissions, in the RCBs of the implementors chosen for it. */
    private static List<GrantSpec.PermissionSet> staticSets(AlphaApi.Plan plan, Map<String, List<String>> chosen) {
        List<GrantSpec> grants = new ArrayList<>();
        for (AlphaApi.PlannedPermission p : plan.permissions()) {
            List<String> implementors = chosen.getOrDefault(p.requirement(), List.of());
            if (!implementors.isEmpty()) {
                grants.add(new GrantSpec(p.contract(), p.permission(), p.params(), implementors));
            }
        }
        return grants.isEmpty() ? List.of() : List.of(new GrantSpec.PermissionSet("static", grants));
    }

    private ReplicaManifest manifestOf(Tx tx, AlphaApi.LoadRequest request) {
        // the plan pins the digest; the manifest is read again from it (an image by digest does not change)
        ImageReference pinned = parseImage(request.plan().image());
        try {
            return Manifests.parse(registry.manifestLabel(registry.resolve(pinned)), ReplicaManifest.class,
                    pinned.toString());
        } catch (RegistryException e) {
            throw new ResideException.UnavailableException("cannot read " + pinned + " again: " + e.getMessage());
        }
    }

    private static AlphaApi.Plan withChosen(AlphaApi.Plan p, Map<String, List<String>> chosen, String replicaId) {
        Map<String, AlphaApi.PlannedRequirement> requirements = new LinkedHashMap<>();
        p.requirements().forEach((k, r) -> requirements.put(k, new AlphaApi.PlannedRequirement(r.contract(),
                r.optional(), r.multiple(), r.candidates(), chosen.getOrDefault(k, r.chosen()))));
        return new AlphaApi.Plan(p.update(), replicaId, p.name(), p.identity(), p.image(), p.digest(),
                p.replicaClass(), p.exclusive(), p.scalable(), requirements, p.permissions(), p.implementations());
    }

    private static AlphaApi.LoadRequest with(AlphaApi.LoadRequest r, String status, AlphaApi.Plan plan, String error,
            String rejection) {
        return new AlphaApi.LoadRequest(r.id(), status, r.image(), r.owner(), r.requestedName(), r.replicaId(), plan,
                error, rejection, r.createdAt(), Instant.now());
    }

    private static String blankToNull(String s) {
        return s == null || s.isBlank() ? null : s;
    }

    static String random() {
        byte[] b = new byte[6];
        RANDOM.nextBytes(b);
        return java.util.HexFormat.of().formatHex(b);
    }
}
