package io.reside.harness;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import java.util.function.Supplier;
import java.util.stream.Stream;

import io.reside.contracts.alpha.v1.AlphaApi;
import io.reside.etcd.Store;
import io.reside.etcd.StoreConfig;
import io.reside.images.ImageBuilder;
import io.reside.images.RegistryClient;
import io.reside.security.AccountKey;
import io.reside.security.AccountRegistry;
import io.reside.security.PublicKey;
import io.reside.testing.EtcdServer;
import io.reside.testing.RegistryServer;
import io.reside.testing.ReplicaProcess;

/**
 * A whole ReSide cluster on loopback, for multi-process tests: a real etcd, a real registry, and Alpha (from its
 * packaged application) with the local runtime, its registry {@value #IDENTITY_REGISTRY} mirrored to the test
 * registry, and an operator account that claims super-admin access with the claim code, as {@code reside dev} does.
 * Replicas are built into images ({@link #push}) and loaded through real load requests ({@link #load}); nothing is
 * written to etcd by hand. {@link #close()} stops Alpha (which stops its replicas), the registry and etcd.
 */
public final class LocalCluster implements AutoCloseable {

    /** The registry named by the identities of images built with the default prefix. */
    public static final String IDENTITY_REGISTRY = LocalImages.IDENTITY_REGISTRY;

    private final Path dir;
    private final EtcdServer etcd;
    private final RegistryServer registry;
    private final ReplicaProcess alpha;
    private final AccountKey operator;
    private final PublicKey alphaKey;
    private final Store store;
    private final AccountRegistry accounts;
    private final LocalImages images;
    private final AlphaApi admin;
    private final String claimCode;
    private final Path alphaApp;
    private final Map<String, String> alphaEnv;
    private final List<ReplicaProcess> moreAlphas = new ArrayList<>();
    private final String etcdRootPassword;

    /** Where the harness reads the claim code that Alpha's first start makes. */
    @FunctionalInterface
    public interface ClaimCodeSource {
        /** The local runtime's: the file {@code claim-code} in Alpha's state directory. */
        ClaimCodeSource STATE_FILE = state -> Files.readString(state.resolve("claim-code")).trim();

        String read(Path alphaState) throws IOException;
    }

    private LocalCluster(Path alphaApp, Map<String, String> alphaEnv, ClaimCodeSource claimCodes) throws IOException {
        dir = Files.createTempDirectory("reside-cluster-");
        etcd = EtcdServer.start();
        registry = RegistryServer.start();
        operator = AccountKey.generate();
        Path alphaKeyFile = dir.resolve("alpha.pem");
        Map<String, String> env = new HashMap<>();
        env.put("RESIDE_ETCD_ENDPOINTS", etcd.endpoint());
        env.put("RESIDE_CLUSTER", "test");
        env.put("RESIDE_ACCOUNT_KEY_FILE", alphaKeyFile.toString());
        env.put("ALPHA_LOCAL_STATE_DIR", dir.resolve("alpha").toString());
        env.put("ALPHA_REGISTRY_MIRROR", LocalImages.mirror(registry.address()));
        env.put("ALPHA_BOOTSTRAP_OPERATOR_PUBLIC_KEY", operator.publicKey().toBase64url());
        env.put("ALPHA_RECONCILE_INTERVAL", "500ms");
        // etcd with auth on, as in production: Alpha is root and turns it on; each replica gets its own user
        etcdRootPassword = randomPassword();
        env.put("RESIDE_ETCD_USERNAME", "root");
        env.put("RESIDE_ETCD_PASSWORD", etcdRootPassword);
        env.putAll(alphaEnv);
        this.alphaApp = alphaApp;
        this.alphaEnv = Map.copyOf(env);
        alpha = ReplicaProcess.start("alpha", alphaApp, freePort(), env, Map.of());
        alpha.awaitReady(Duration.ofSeconds(90));
        alphaKey = AccountKey.fromPem(Files.readString(alphaKeyFile)).publicKey();
        store = Store.connect(StoreConfig.builder().endpoints(etcd.endpoint()).cluster("test").credentials(
                "root", etcdRootPassword).build());
        accounts = AccountRegistry.open(store, Duration.ofSeconds(10));
        images = new LocalImages(new ImageBuilder(RegistryClient.Options.DEFAULT, dir.resolve("jib")), registry
                .address());
        admin = SignedClient.of(AlphaApi.class, URI.create(alpha.baseUrl()), operator, alphaKey);
        claimCode = claimCodes.read(dir.resolve("alpha"));
        admin.claimSuperAdminAccess(new AlphaApi.ClaimSuperAdminAccess(claimCode));
        awaitCondition("the operator's super-admin grants applied", Duration.ofSeconds(30), () -> admin.getMyGrants(),
                grants -> grants.size() == 7 && grants.stream().allMatch(g -> g.state().equals("current")));
    }

    private static String randomPassword() {
        byte[] random = new byte[24];
        new java.security.SecureRandom().nextBytes(random);
        return java.util.Base64.getUrlEncoder().withoutPadding().encodeToString(random);
    }

    /**
     * A store that connects as a version's etcd user, with the password Alpha wrote for it (the local runtime's
     * {@code keys/etcd/<user>} in Alpha's state), under {@code scope} ({@code ""}: the cluster root): to show what
     * etcd lets a replica do.
     */
    public Store storeAs(String etcdUser, String scope) {
        try {
            String password = Files.readString(alphaState().resolve("keys/etcd").resolve(etcdUser));
            Store s = Store.connect(StoreConfig.builder().endpoints(etcd.endpoint()).cluster("test").credentials(
                    etcdUser, password).build());
            return scope.isEmpty() ? s : s.scoped(scope);
        } catch (IOException e) {
            throw new UncheckedIOException("no etcd password for " + etcdUser + " in Alpha's state", e);
        }
    }

    /** Starts etcd, a registry and Alpha from its packaged application ({@code replicas/alpha/target/quarkus-app}). */
    public static LocalCluster start(Path alphaApp) {
        return start(alphaApp, Map.of());
    }

    /** @param alphaEnv more environment for Alpha ({@code ALPHA_*}, {@code RESIDE_*}) */
    public static LocalCluster start(Path alphaApp, Map<String, String> alphaEnv) {
        return start(alphaApp, alphaEnv, ClaimCodeSource.STATE_FILE);
    }

    /** @param claimCodes where Alpha's runtime keeps the claim code (another runtime than the local one) */
    public static LocalCluster start(Path alphaApp, Map<String, String> alphaEnv, ClaimCodeSource claimCodes) {
        try {
            return new LocalCluster(alphaApp, alphaEnv, claimCodes);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** alpha.v1, as the operator (a super-admin). */
    public AlphaApi alpha() {
        return admin;
    }

    /** alpha.v1 of another Alpha ({@link #startAnotherAlpha}), as the operator. */
    public AlphaApi alphaAt(ReplicaProcess otherAlpha) {
        return SignedClient.of(AlphaApi.class, URI.create(otherAlpha.baseUrl()), operator, alphaKey);
    }

    /** alpha.v1 as another account. */
    public AlphaApi alphaAs(AccountKey key) {
        return SignedClient.of(AlphaApi.class, URI.create(alpha.baseUrl()), key, alphaKey);
    }

    /** Another API Alpha serves (a platform one, such as its audit trail), as {@code key}. */
    public <T> T alphaApi(Class<T> api, AccountKey key) {
        return SignedClient.of(api, URI.create(alpha.baseUrl()), key, alphaKey);
    }

    public AccountKey operator() {
        return operator;
    }

    /** The claim code the operator used (a replay of it must be refused). */
    public String usedClaimCode() {
        return claimCode;
    }

    /**
     * A loaded replica's private key, where the local runtime keeps it for its workload: to call as that replica.
     */
    public AccountKey keyOf(AlphaApi.Replica replica) {
        Path file = alphaState().resolve("keys").resolve(replica.accountId() + ".pem");
        try {
            return AccountKey.fromPem(Files.readString(file));
        } catch (IOException e) {
            throw new UncheckedIOException("no key of " + replica.name() + " in " + file + " (the local runtime's)",
                    e);
        }
    }

    public EtcdServer etcd() {
        return etcd;
    }

    public RegistryServer registry() {
        return registry;
    }

    public ReplicaProcess alphaProcess() {
        return alpha;
    }

    /**
     * Starts another Alpha of the same cluster (the same key, etcd, registry and state directory: the local
     * runtime's keys and process records are there; its own port), as Kubernetes does while Alpha's Deployment
     * rolls. Stopped by {@link #close()}.
     */
    public ReplicaProcess startAnotherAlpha(String name) {
        Map<String, String> env = new HashMap<>(alphaEnv);
        try {
            ReplicaProcess p = ReplicaProcess.start(name, alphaApp, freePort(), env, Map.of());
            synchronized (moreAlphas) {
                moreAlphas.add(p);
            }
            return p;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Alpha's state directory (its replicas' logs are in {@code logs/}). */
    public Path alphaState() {
        return dir.resolve("alpha");
    }

    /**
     * The local runtime's process records of a replica ({@code run/<replicaId>-<version>.json}: pid, port, ...), one
     * per version it runs, oldest version first.
     */
    public List<com.fasterxml.jackson.databind.JsonNode> processRecords(String replicaId) {
        try (Stream<Path> records = Files.list(alphaState().resolve("run"))) {
            List<com.fasterxml.jackson.databind.JsonNode> out = new ArrayList<>();
            for (Path p : records.filter(p -> p.getFileName().toString().startsWith(replicaId + "-")).sorted()
                    .toList()) {
                try {
                    out.add(io.reside.etcd.DocType.mapper().readTree(Files.readString(p)));
                } catch (java.nio.file.NoSuchFileException gone) {
                    // the process stopped between the listing and the read
                }
            }
            return out;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Gives a replica configuration only it receives, as a Kubernetes Secret would: Alpha's local runtime reads
     * {@code secrets/<name>.env} (owner-only) into the environment of the replica's processes.
     */
    public void secret(String replicaName, Map<String, String> env) {
        StringBuilder content = new StringBuilder();
        new java.util.TreeMap<>(env).forEach((k, v) -> content.append(k).append('=').append(v).append('\n'));
        try {
            Path file = Files.createDirectories(alphaState().resolve("secrets")).resolve(replicaName + ".env");
            Files.writeString(file, content);
            Files.setPosixFilePermissions(file, java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Prints the last lines of replicas' logs ({@code logs/<name>-<version>.log}), for a test that failed. */
    public void printLogs(int lines, String... logNames) {
        for (String name : logNames) {
            Path log = alphaState().resolve("logs").resolve(name);
            try {
                if (Files.exists(log)) {
                    List<String> all = Files.readAllLines(log);
                    System.out.println("---- " + name + " (last " + lines + " lines)");
                    all.subList(Math.max(0, all.size() - lines), all.size()).forEach(System.out::println);
                }
            } catch (IOException e) {
                System.out.println("---- " + name + ": cannot read it: " + e.getMessage());
            }
        }
    }

    /** A read-only view of the cluster's store, for assertions. */
    public Store store() {
        return store;
    }

    /**
     * A replica's own data ({@code data/<replicaId>/}, where its injected store is rooted: docs/adr/0008), read as
     * root, for assertions. A view of {@link #store()}: do not close it.
     */
    public Store dataOf(String replicaId) {
        return store.scoped(Store.dataPrefix(replicaId));
    }

    /**
     * Builds and pushes a replica's image from its packaged application, and the images of the contracts in its jars
     * (tag {@code latest}), to the test registry.
     *
     * @return the image to load, as its identity names it ({@code localhost:5000/reside/replicas/<name>:<tag>})
     */
    public String push(Path quarkusApp, String tag) {
        return images.push(quarkusApp, tag).image();
    }

    /**
     * Loads an image through a real load request, approved by the operator, and waits until its version runs.
     *
     * @return the instance, running
     */
    public AlphaApi.Replica load(String image) {
        return load(new AlphaApi.CreateLoadRequest(image, null, null, null));
    }

    public AlphaApi.Replica load(AlphaApi.CreateLoadRequest request) {
        AlphaApi.LoadRequest created = admin.createLoadRequest(request);
        AlphaApi.LoadRequest validated = awaitValidated(created.id());
        if (!validated.status().equals("requires-approval")) {
            throw new IllegalStateException("load request " + created.id() + " for " + request.image() + " is "
                    + validated.status() + ": " + validated.error());
        }
        AlphaApi.Approval approval = admin.approveLoadRequest(new AlphaApi.ApproveLoadRequest(created.id(), null));
        return awaitRunning(approval.version().replicaId(), approval.version().id());
    }

    /** Waits until a load request is validated (requires-approval or invalid). */
    public AlphaApi.LoadRequest awaitValidated(String loadRequestId) {
        return awaitCondition("load request " + loadRequestId + " validated", Duration.ofSeconds(30),
                () -> admin.getLoadRequest(loadRequestId), r -> !r.status().equals("validating"));
    }

    /**
     * Waits until a version of an instance runs and is its current one (its endpoints are recorded in the same
     * transaction as its status).
     */
    public AlphaApi.Replica awaitRunning(String replicaId, int versionId) {
        return awaitCondition("version " + versionId + " of " + replicaId + " running", Duration.ofSeconds(90),
                () -> admin.getReplica(replicaId), r -> r.currentVersion() != null
                        && r.currentVersion().id() == versionId && "running".equals(r.currentVersion().status()));
    }

    /**
     * A client of a loaded replica's contract, signing as {@code key}.
     *
     * @param replica the instance (its local endpoint and its account come from Alpha's answer)
     */
    public <T> T client(Class<T> contract, AlphaApi.Replica replica, AccountKey key) {
        PublicKey callee = calleeKey(replica);
        return SignedClient.of(contract, URI.create(replica.endpoints().get("local")), key, callee, null, tls());
    }

    /**
     * With RPC over TLS ({@code ALPHA_TLS_ENABLED=true}), a client context trusting the cluster CA that Alpha's local
     * runtime made, as replicas do; null without TLS.
     */
    private javax.net.ssl.SSLContext tls() {
        Path ca = alphaState().resolve("tls/ca.crt");
        try {
            return Files.exists(ca) ? io.reside.security.CertificateAuthority.trusting(Files.readString(ca)) : null;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the cluster CA " + ca, e);
        }
    }

    /** As {@link #client}, over a session (one signed handshake, then MACs): for many calls in a short time. */
    public <T> T sessionClient(Class<T> contract, AlphaApi.Replica replica, AccountKey key) {
        PublicKey callee = calleeKey(replica);
        return SignedClient.overSession(contract, URI.create(replica.endpoints().get("local")), key, callee);
    }

    /**
     * A client of a loaded replica's contract for a user: signed as {@code actor}, carrying {@code delegation} (a
     * token the User Manager issued for that user, this actor and this replica's account).
     */
    public <T> T clientFor(Class<T> contract, AlphaApi.Replica replica, AccountKey actor, String delegation) {
        PublicKey callee = calleeKey(replica);
        return SignedClient.of(contract, URI.create(replica.endpoints().get("local")), actor, callee, delegation,
                tls());
    }

    /** A loaded replica's public key, once the account registry has it. */
    private PublicKey calleeKey(AlphaApi.Replica replica) {
        return awaitCondition("account " + replica.accountId() + " known", Duration.ofSeconds(10),
                () -> accounts.publicKey(replica.accountId()), java.util.Optional::isPresent).orElseThrow();
    }

    /** alpha.v1 for a user: signed as {@code actor}, carrying {@code delegation} (made for Alpha's account). */
    public AlphaApi alphaFor(AccountKey actor, String delegation) {
        return SignedClient.of(AlphaApi.class, URI.create(alpha.baseUrl()), actor, alphaKey, delegation);
    }

    /** Alpha's account id: the audience of a delegation for Alpha. */
    public String alphaAccountId() {
        return alphaKey.accountId();
    }

    /** Polls {@code probe} every 100 ms until {@code done} holds, up to {@code timeout}. */
    public static <T> T awaitCondition(String what, Duration timeout, Supplier<T> probe, Predicate<T> done) {
        return awaitCondition(what, timeout, probe, done, () -> false, null);
    }

    /**
     * Polls {@code probe} every 100 ms until {@code done} holds, up to {@code timeout}; a probe that throws is asked
     * again (what it threw is reported if time runs out).
     *
     * @param stop checked before each probe: true ends the wait at once ({@code IllegalStateException} "stopped
     *        while waiting for ...")
     * @param fatal what a probe throws when waiting longer cannot help (thrown on at once); null: none
     * @throws ConditionTimeoutException when the time is up, naming {@code what} and the last thing seen
     */
    public static <T> T awaitCondition(String what, Duration timeout, Supplier<T> probe, Predicate<T> done,
            java.util.function.BooleanSupplier stop, Class<? extends RuntimeException> fatal) {
        return awaitCondition(what, timeout, Duration.ofMillis(100), probe, done, stop, fatal);
    }

    /**
     * {@link #awaitCondition(String, Duration, Supplier, Predicate, java.util.function.BooleanSupplier, Class)}, asking
     * every {@code interval}.
     */
    public static <T> T awaitCondition(String what, Duration timeout, Duration interval, Supplier<T> probe,
            Predicate<T> done, java.util.function.BooleanSupplier stop, Class<? extends RuntimeException> fatal) {
        long deadline = System.nanoTime() + timeout.toNanos();
        T last = null;
        RuntimeException failure = null;
        while (System.nanoTime() < deadline) {
            if (stop.getAsBoolean()) {
                throw new IllegalStateException("stopped while waiting for " + what);
            }
            try {
                last = probe.get();
                failure = null;
                if (done.test(last)) {
                    return last;
                }
            } catch (RuntimeException e) {
                if (fatal != null && fatal.isInstance(e)) {
                    throw e;
                }
                failure = e;
            }
            try {
                Thread.sleep(interval.toMillis());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while waiting for " + what, e);
            }
        }
        throw new ConditionTimeoutException("not within " + timeout + ": " + what + "; last seen: " + (failure != null
                ? failure.toString()
                : String.valueOf(last)), failure);
    }

    /** {@link #awaitCondition}'s time is up (an {@code IllegalStateException}, as it always was). */
    public static final class ConditionTimeoutException extends IllegalStateException {
        private static final long serialVersionUID = 1L;

        ConditionTimeoutException(String message, Throwable lastFailure) {
            super(message, lastFailure);
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    @Override
    public void close() {
        synchronized (moreAlphas) {
            for (ReplicaProcess p : moreAlphas) {
                try {
                    p.terminate(Duration.ofSeconds(60));
                } catch (RuntimeException | AssertionError e) {
                    p.close();
                }
            }
        }
        try {
            alpha.terminate(Duration.ofSeconds(60)); // SIGTERM: Alpha stops the replicas it runs, then itself
        } catch (RuntimeException | AssertionError e) {
            // killed below
        }
        for (AutoCloseable c : new AutoCloseable[] { alpha, accounts, store, registry, etcd }) {
            try {
                if (c != null) {
                    c.close();
                }
            } catch (Exception e) {
                // best effort
            }
        }
        try (Stream<Path> files = Files.walk(dir)) {
            files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            // best effort
        }
    }
}
