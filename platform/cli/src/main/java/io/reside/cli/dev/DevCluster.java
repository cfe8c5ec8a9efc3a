package io.reside.cli.dev;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Deque;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.function.Supplier;
import java.util.stream.Stream;

import io.reside.cli.CliException;
import io.reside.cli.ExitCodes;
import io.reside.cli.Progress;
import io.reside.contracts.alpha.v1.AlphaApi;
import io.reside.contracts.usermanager.v1.UserManagerApi;
import io.reside.etcd.Store;
import io.reside.etcd.StoreConfig;
import io.reside.harness.LocalCluster;
import io.reside.harness.LocalImages;
import io.reside.harness.SignedClient;
import io.reside.images.ImageBuilder;
import io.reside.images.RegistryClient;
import io.reside.security.AccountKey;
import io.reside.security.AccountRegistry;
import io.reside.security.PublicKey;
import io.reside.telegram.simulator.TelegramSimulator;
import io.reside.testing.EtcdServer;
import io.reside.testing.JvmProcesses;
import io.reside.testing.OwnSession;
import io.reside.testing.RegistryServer;
import io.reside.testing.ReplicaProcess;

/**
 * {@code reside dev}: a whole ReSide cluster on this machine, kept in a {@link DevDir}. etcd (its member kept on the
 * ports of the first start), a registry, the Telegram simulator (unless a bot token is given) and Alpha with the local
 * runtime; then the images of user-manager, telegram and both secretaries are built with Jib and loaded through real
 * load requests that the operator approves, the operator claims super-admin access, and the operator's simulated chat
 * user gets the operator's permissions through the User Manager. Started again, the same directory resumes the same
 * cluster: unchanged replicas are neither rebuilt nor loaded again (Alpha starts them from its records), a changed one
 * is loaded as an update. {@link #close()} stops everything in order: Alpha (which stops its replicas first), the
 * simulator, the registry, etcd.
 */
public final class DevCluster implements AutoCloseable {

    /** The cluster name of every dev cluster (its etcd keys' prefix). */
    public static final String CLUSTER = "dev";

    /** The replicas of a dev cluster, in an order that satisfies their requirements. */
    public static final List<DevReplica> REPLICAS = List.of(new DevReplica("user-manager", "replicas/user-manager"),
            new DevReplica("telegram", "replicas/telegram"), new DevReplica("user-manager-secretary",
                    "replicas/secretaries/user-manager-secretary"),
            new DevReplica("alpha-secretary",
                    "replicas/secretaries/alpha-secretary"));

    /** A replica module of this repository and the instance name it gets. */
    public record DevReplica(String name, String module) {
        Path app(Path home) {
            return home.resolve(module).resolve("target/quarkus-app");
        }
    }

    /** What was pushed and loaded for a replica: skipped next time when the application has not changed. */
    record Loaded(String fingerprint, String image, String digest) {
    }

    private static final Duration VALIDATION = Duration.ofSeconds(60);
    private static final Duration RUNNING = Duration.ofSeconds(120);

    private final Path home;
    private final DevDir dir;
    private final Progress progress;
    private final String botToken;
    private final Integer chatPortWanted;
    private final Deque<AutoCloseable> started = new ArrayDeque<>();
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build();

    private FileChannel lockChannel;
    private FileLock lock;
    private EtcdServer etcd;
    private RegistryServer registry;
    private TelegramSimulator sim;
    private Process alpha;
    private String alphaUrl;
    private String alphaAccountId;
    private AlphaApi admin;
    private AccountKey operator;
    private Store store;
    private AccountRegistry accounts;
    private volatile boolean closed;

    /**
     * @param home the repository (its replica modules are built there)
     * @param botToken a real bot's token ({@code TELEGRAM_BOT_TOKEN}), or null for the simulator
     * @param chatPort the simulator's port, or null for the one of the first start (a free one then)
     */
    public DevCluster(Path home, DevDir dir, Progress progress, String botToken, Integer chatPort) {
        this.home = home;
        this.dir = dir;
        this.progress = progress;
        this.botToken = botToken == null || botToken.isBlank() ? null : botToken.trim();
        this.chatPortWanted = chatPort;
    }

    /** Where a dev cluster is, and what a person needs to use it. */
    public record Ready(DevDir.Running running, boolean resumed, Duration took, List<AlphaApi.Replica> replicas,
            String alphaAccountId, String operatorAccountId) {
    }

    /**
     * Starts (or resumes) the cluster and returns once every replica runs and the bot answers the operator.
     *
     * @param reset delete the state directory first
     * @throws CliException when a step fails, saying which and what to do (what was started is stopped again by
     *         {@link #close()})
     */
    public Ready start(boolean reset) {
        long t0 = System.nanoTime();
        if (lock == null) {
            lock();
        }
        if (reset) {
            wipe();
        }
        boolean resumed = Files.exists(dir.operatorKey());
        stopLeftovers();
        Prerequisites.ensure(progress, dir.root());
        DevDir.Ports ports = ports();
        startEtcd(ports);
        startRegistry();
        startTelegramSide(ports);
        operator = operatorKey();
        startAlpha(ports);
        claimSuperAdmin();
        List<AlphaApi.Replica> replicas = new ArrayList<>(loadReplicas());
        Long chatUser = sim == null ? null : operatorChat();
        // and what else was loaded into this cluster (by reside replica load, /load): the summary shows it all
        admin.listReplicas().stream().filter(r -> !r.name().equals("alpha") && replicas.stream().noneMatch(x -> x
                .id().equals(r.id()))).forEach(replicas::add);
        DevDir.Running running = new DevDir.Running(ProcessHandle.current().pid(), etcd.pid(), registry.pid(), alpha
                .pid(), etcd.endpoint(), registry.address(), alphaUrl, sim == null ? null : sim.baseUrl() + "/",
                chatUser, Instant.now());
        dir.write("running.json", running);
        return new Ready(running, resumed, Duration.ofNanos(System.nanoTime() - t0), replicas, alphaAccountId,
                operator.accountId());
    }

    // ------------------------------------------------------------------ the state directory

    /**
     * Takes the state directory for this process: a second {@code reside dev} on it is refused.
     *
     * @throws CliException ({@link ExitCodes#BUSY}) when another {@code reside dev} runs from it
     */
    public void lock() {
        try {
            Files.createDirectories(dir.root());
            Files.setPosixFilePermissions(dir.root(), PosixFilePermissions.fromString("rwx------"));
            lockChannel = FileChannel.open(dir.lock(), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
            lock = lockChannel.tryLock();
        } catch (OverlappingFileLockException e) {
            lock = null;
        } catch (IOException e) {
            throw new CliException(ExitCodes.FAILURE, "cannot use " + dir.root() + ": " + e.getMessage());
        }
        if (lock == null) {
            String who = dir.running().map(r -> " (pid " + r.pid() + ")").orElse("");
            throw new CliException(ExitCodes.BUSY, "a reside dev already runs from " + dir.root() + who
                    + ": use it (./reside dev status), or stop it with Ctrl-C in its terminal first");
        }
    }

    /** True when a {@code reside dev} holds the directory's lock now. */
    public static boolean isRunning(DevDir dir) {
        if (!Files.exists(dir.lock())) {
            return false;
        }
        try (FileChannel ch = FileChannel.open(dir.lock(), StandardOpenOption.WRITE)) {
            FileLock l = ch.tryLock();
            if (l == null) {
                return true;
            }
            l.release();
            return false;
        } catch (OverlappingFileLockException e) {
            return true; // this very process holds it
        } catch (IOException e) {
            return false;
        }
    }

    private void wipe() {
        Step s = step("reset");
        try (Stream<Path> files = Files.walk(dir.root())) {
            for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
                if (!p.equals(dir.root()) && !p.equals(dir.lock())) {
                    Files.delete(p);
                }
            }
        } catch (IOException e) {
            throw s.failed("cannot delete " + dir.root() + ": " + e.getMessage(), "delete it by hand and run "
                    + "./reside dev again");
        }
        s.done("the earlier cluster in " + dir.root() + " is gone");
    }

    /**
     * Stops what a {@code reside dev} that was killed (not stopped) left running, from its {@code running.json}:
     * only processes whose command line names this state directory, so a reused pid is never touched.
     */
    private void stopLeftovers() {
        Optional<DevDir.Running> last = dir.running();
        if (last.isEmpty()) {
            return;
        }
        // Alpha first: it stops the replicas it runs
        for (long pid : new long[] { last.get().alphaPid(), last.get().registryPid(), last.get().etcdPid() }) {
            Optional<ProcessHandle> p = ProcessHandle.of(pid).filter(ProcessHandle::isAlive).filter(h -> h.info()
                    .arguments().map(args -> String.join(" ", args).contains(dir.root().toString())).orElse(false));
            if (p.isPresent()) {
                progress.line("  a killed reside dev left pid " + pid + " running: stopping it");
                p.get().destroy();
                try {
                    p.get().onExit().get(30, TimeUnit.SECONDS);
                } catch (Exception e) {
                    p.get().destroyForcibly();
                }
            }
        }
        dir.delete("running.json");
    }

    private DevDir.Ports ports() {
        DevDir.Ports p = dir.ports().orElseGet(() -> new DevDir.Ports(freePort(), freePort(), freePort(),
                freePort()));
        if (chatPortWanted != null) {
            p = new DevDir.Ports(p.etcdClient(), p.etcdPeer(), p.alpha(), chatPortWanted);
        }
        dir.write("ports.json", p);
        return p;
    }

    private AccountKey operatorKey() {
        Path file = dir.operatorKey();
        try {
            if (Files.exists(file)) {
                return AccountKey.fromPem(Files.readString(file));
            }
            AccountKey key = AccountKey.generate();
            DevDir.writePrivate(file, key.toPem());
            return key;
        } catch (IOException | RuntimeException e) {
            throw new CliException(ExitCodes.FAILURE, "the operator's key " + file + " cannot be used ("
                    + e.getMessage() + "): start afresh with ./reside dev --reset");
        }
    }

    // ------------------------------------------------------------------ the processes

    private void startEtcd(DevDir.Ports ports) {
        Step s = step("etcd");
        try {
            // detached: a Ctrl-C in the terminal reaches only this process, which stops etcd last
            etcd = EtcdServer.builder().name("reside-dev").directory(dir.etcd()).ports(ports.etcdClient(), ports
                    .etcdPeer()).detached().start();
        } catch (RuntimeException e) {
            throw s.failed(e.getMessage(), "its log is in " + dir.etcd() + "; free the port or start afresh with "
                    + "./reside dev --reset");
        }
        own(etcd);
        store = Store.connect(StoreConfig.builder().endpoints(etcd.endpoint()).cluster(CLUSTER).credentials("root",
                dir.etcdRootPassword()).build());
        own(store);
        accounts = AccountRegistry.open(store, Duration.ofSeconds(10));
        own(accounts);
        s.done(etcd.endpoint() + ", data in " + relative(dir.etcd()));
    }

    private void startRegistry() {
        Step s = step("registry");
        try {
            registry = RegistryServer.startDetached(dir.registry());
        } catch (RuntimeException e) {
            throw s.failed(e.getMessage(), "its log is " + dir.registry().resolve("registry.log"));
        }
        own(registry);
        s.done(registry.address() + ", images in " + relative(dir.registry()));
    }

    /** The simulator (its token kept in the state directory), or the real bot; either way the telegram secret. */
    private void startTelegramSide(DevDir.Ports ports) {
        Map<String, String> secret = new LinkedHashMap<>();
        if (botToken != null) {
            secret.put("TELEGRAM_BOT_TOKEN", botToken);
            progress.line("  the telegram replica talks to the real bot (TELEGRAM_BOT_TOKEN is set)");
        } else {
            Step s = step("telegram simulator");
            try {
                Path tokenFile = dir.root().resolve("simulator.token");
                TelegramSimulator.Options options = TelegramSimulator.Options.defaults().withPort(ports.chat());
                if (Files.exists(tokenFile)) {
                    options = options.withToken(Files.readString(tokenFile).trim());
                } else {
                    DevDir.writePrivate(tokenFile, options.token());
                }
                sim = TelegramSimulator.start(options);
                // the telegram replica keeps its confirmed offset in etcd: continue above every id given before
                // (the last run's, kept at its stop, and one that grows with time for a run that was killed)
                int kept = dir.read("simulator.json", SimulatorState.class).map(SimulatorState::nextUpdateId)
                        .orElse(0);
                int byTime = (int) ((System.currentTimeMillis() / 1000 - 1_767_225_600L) * 10); // since 2026
                sim.startUpdateIdsAt(Math.max(kept, byTime));
            } catch (IOException | RuntimeException e) {
                throw s.failed(e.getMessage(), "is port " + ports.chat() + " taken? choose another with "
                        + "./reside dev --chat-port N");
            }
            own(() -> {
                dir.write("simulator.json", new SimulatorState(sim.nextUpdateId()));
                sim.close();
            });
            secret.put("TELEGRAM_BOT_TOKEN", sim.token());
            secret.put("TELEGRAM_API_URL", sim.baseUrl());
            s.done("chat page " + sim.baseUrl() + "/");
        }
        StringBuilder content = new StringBuilder();
        secret.forEach((k, v) -> content.append(k).append('=').append(v).append('\n'));
        try {
            Path secrets = Files.createDirectories(dir.alphaState().resolve("secrets"));
            DevDir.writePrivate(secrets.resolve("telegram.env"), content.toString());
        } catch (IOException e) {
            throw new CliException(ExitCodes.FAILURE, "cannot write the telegram replica's secret in " + dir
                    .alphaState().resolve("secrets") + ": " + e.getMessage());
        }
    }

    private void startAlpha(DevDir.Ports ports) {
        Step s = step("alpha");
        Path app = home.resolve("replicas/alpha/target/quarkus-app");
        if (!Files.isRegularFile(app.resolve("quarkus-run.jar"))) {
            throw s.failed(app + " is not built", "build it with ./mvnw -B package -DskipTests (./reside does "
                    + "this by itself)");
        }
        // Alpha (and its replicas) run on this JDK
        List<String> cmd = new ArrayList<>(List.of(JvmProcesses.javaBinary(), "-Xmx256m", "-XX:+UseSerialGC",
                "-XX:TieredStopAtLevel=1", "-Dquarkus.http.port=" + ports.alpha(), "-Dquarkus.http.host=127.0.0.1",
                // names the state directory on Alpha's command line: a leftover Alpha is recognised by it
                "-Dreside-dev-state=" + dir.root(), "-jar", app.resolve("quarkus-run.jar").toString()));
        // a session of its own: a Ctrl-C in the terminal reaches only this process, which stops Alpha (and Alpha its
        // replicas) while etcd still runs, so that they release their leases
        ProcessBuilder pb = new ProcessBuilder(OwnSession.wrap(cmd)).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect
                        .appendTo(dir.alphaLog().toFile()));
        Map<String, String> env = pb.environment();
        // Alpha's configuration is this, not what the shell that runs reside dev happens to have
        env.keySet().removeIf(k -> k.startsWith("RESIDE_") || k.startsWith("QUARKUS_") || k.startsWith("ALPHA_"));
        env.put("RESIDE_ETCD_ENDPOINTS", etcd.endpoint());
        env.put("RESIDE_CLUSTER", CLUSTER);
        env.put("RESIDE_ACCOUNT_KEY_FILE", dir.alphaKey().toString());
        env.put("ALPHA_LOCAL_STATE_DIR", dir.alphaState().toString());
        env.put("ALPHA_REGISTRY_MIRROR", LocalImages.mirror(registry.address()));
        env.put("ALPHA_BOOTSTRAP_OPERATOR_PUBLIC_KEY", operator.publicKey().toBase64url());
        // etcd's root: Alpha turns auth on and gives each replica version a user of its own (docs/adr/0008)
        env.put("RESIDE_ETCD_USERNAME", "root");
        env.put("RESIDE_ETCD_PASSWORD", dir.etcdRootPassword());
        env.remove("TELEGRAM_BOT_TOKEN"); // the telegram replica's secret, not Alpha's
        try {
            alpha = pb.start();
        } catch (IOException e) {
            throw s.failed("cannot start " + cmd.get(0) + ": " + e.getMessage(), "check the JDK");
        }
        own(this::stopAlpha);
        alphaUrl = "http://127.0.0.1:" + ports.alpha();
        long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
        while (ReplicaProcess.readiness(http, alphaUrl, Duration.ofSeconds(2)) != 200) {
            if (!alpha.isAlive() || System.nanoTime() > deadline) {
                throw s.failed(alpha.isAlive() ? "not ready within 90 s" : "it exited with " + alpha.exitValue(),
                        "see " + dir.alphaLog() + ":\n" + tail(dir.alphaLog(), 15));
            }
            s.status("starting");
            sleep(200);
        }
        PublicKey alphaKey;
        try {
            alphaKey = AccountKey.fromPem(Files.readString(dir.alphaKey())).publicKey();
        } catch (IOException e) {
            throw s.failed("its key " + dir.alphaKey() + " cannot be read: " + e.getMessage(), "start afresh with "
                    + "./reside dev --reset");
        }
        alphaAccountId = alphaKey.accountId();
        admin = SignedClient.of(AlphaApi.class, URI.create(alphaUrl), operator, alphaKey);
        s.done(alphaUrl + ", log " + relative(dir.alphaLog()));
    }

    private void stopAlpha() {
        if (alpha != null && alpha.isAlive()) {
            alpha.destroy(); // SIGTERM: Alpha stops the replicas it runs, then itself
            try {
                if (!alpha.waitFor(90, TimeUnit.SECONDS)) {
                    alpha.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
                }
            } catch (InterruptedException e) {
                alpha.destroyForcibly();
                Thread.currentThread().interrupt();
            }
        }
    }

    /** On a new cluster: the operator claims super-admin access with the code Alpha wrote for it. */
    private void claimSuperAdmin() {
        Path codeFile = dir.alphaState().resolve("claim-code");
        if (!Files.exists(codeFile)) {
            return; // claimed on an earlier start (Alpha deletes the code once it is used)
        }
        Step s = step("claim super-admin");
        try {
            AlphaApi.Claimed claimed = admin.claimSuperAdminAccess(new AlphaApi.ClaimSuperAdminAccess(Files
                    .readString(codeFile).trim()));
            await(s, "the operator's grants applied", Duration.ofSeconds(30), () -> admin.getMyGrants(), g -> !g
                    .isEmpty() && g.stream().allMatch(x -> x.state().equals("current")));
            s.done("operator " + claimed.accountId() + " (key " + relative(dir.operatorKey()) + ")");
        } catch (IOException | RuntimeException e) {
            throw s.failed(e.getMessage(), "see " + dir.alphaLog() + "; or start afresh with ./reside dev --reset");
        }
    }

    // ------------------------------------------------------------------ the replicas

    private List<AlphaApi.Replica> loadReplicas() {
        Map<String, Loaded> loaded = new HashMap<>(dir.read("images.json", LoadedImages.class).map(
                LoadedImages::replicas).orElse(Map.of()));
        LocalImages images = new LocalImages(new ImageBuilder(RegistryClient.Options.DEFAULT, dir.root().resolve(
                "jib")), registry.address());
        List<AlphaApi.Replica> result = new ArrayList<>();
        for (DevReplica r : REPLICAS) {
            Step s = step(r.name());
            Path app = r.app(home);
            if (!Files.isRegularFile(app.resolve("quarkus-run.jar"))) {
                throw s.failed(app + " is not built", "build it with ./mvnw -B package -DskipTests (./reside does "
                        + "this by itself)");
            }
            String fingerprint = fingerprint(app);
            Optional<AlphaApi.Replica> current = find(r.name());
            Loaded last = loaded.get(r.name());
            AlphaApi.Replica replica;
            try {
                if (current.isPresent() && last != null && last.fingerprint().equals(fingerprint) && last.digest()
                        .equals(current.get().currentVersion().digest())) {
                    s.status("unchanged: waiting for it to run");
                    replica = awaitRunning(s, current.get().id(), current.get().currentVersionId());
                    s.done("running, version " + replica.currentVersionId() + " (unchanged)");
                } else {
                    s.status("building the image");
                    LocalImages.Pushed pushed = images.push(app, "dev");
                    if (current.isPresent() && pushed.digest().equals(current.get().currentVersion().digest())) {
                        replica = awaitRunning(s, current.get().id(), current.get().currentVersionId());
                        s.done("running, version " + replica.currentVersionId() + " (same image)");
                    } else {
                        // an update of the instance there is (telegram is not exclusive: without its id, a load
                        // would add a second instance, telegram-1, with no bot token of its own)
                        replica = load(s, pushed.image(), current.map(AlphaApi.Replica::id).orElse(null));
                        s.done("running, version " + replica.currentVersionId() + (replica.currentVersionId() > 1
                                ? " (updated)"
                                : ""));
                    }
                    loaded.put(r.name(), new Loaded(fingerprint, pushed.image(), pushed.digest()));
                    dir.write("images.json", new LoadedImages(loaded));
                }
            } catch (CliException e) {
                throw e;
            } catch (RuntimeException e) {
                throw s.failed(String.valueOf(e), "see " + dir.alphaLog() + " and " + relative(dir.logs()) + "/");
            }
            result.add(replica);
        }
        return result;
    }

    /** {@code simulator.json}: where the simulator's update ids stopped. */
    record SimulatorState(int nextUpdateId) {
    }

    /** {@code images.json}. */
    record LoadedImages(Map<String, Loaded> replicas) {
    }

    private Optional<AlphaApi.Replica> find(String name) {
        return admin.listReplicas().stream().filter(x -> x.name().equals(name) && x.currentVersion() != null)
                .findFirst();
    }

    /** A real load request, followed through validation, approved as the operator, and followed until running. */
    private AlphaApi.Replica load(Step s, String image, String replicaId) {
        AlphaApi.LoadRequest created = admin.createLoadRequest(new AlphaApi.CreateLoadRequest(image, null,
                replicaId, null));
        AlphaApi.LoadRequest validated = await(s, "load request " + created.id() + " validated", VALIDATION,
                () -> admin.getLoadRequest(created.id()), r -> !r.status().equals("validating"));
        if (!validated.status().equals("requires-approval")) {
            throw s.failed("load request " + created.id() + " for " + image + " is " + validated.status() + ": "
                    + validated.error(), "fix the replica and run ./reside dev again");
        }
        s.status("approving load request " + created.id());
        AlphaApi.Approval approval = admin.approveLoadRequest(new AlphaApi.ApproveLoadRequest(created.id(), null));
        return awaitRunning(s, approval.version().replicaId(), approval.version().id());
    }

    private AlphaApi.Replica awaitRunning(Step s, String replicaId, int versionId) {
        AlphaApi.Replica r = await(s, "version " + versionId + " of " + replicaId + " running", RUNNING, () -> {
            AlphaApi.Replica now = admin.getReplica(replicaId);
            if (now.currentVersion() != null && now.currentVersion().id() == versionId) {
                s.status(now.currentVersion().status());
                if ("error".equals(now.currentVersion().status())) {
                    throw new CliException(ExitCodes.FAILURE, now.name() + " version " + versionId + " failed: "
                            + now.currentVersion().statusMessage() + "; its log: " + dir.logs().resolve(now.name()
                                    + "-" + versionId + ".log")
                            + "\n" + tail(dir.logs().resolve(now.name() + "-"
                                    + versionId + ".log"), 15));
                }
            }
            return now;
        }, now -> now.currentVersion() != null && now.currentVersion().id() == versionId && "running".equals(now
                .currentVersion().status()) && answers(now));
        return r;
    }

    /**
     * The operator in the simulator: a chat user ("Operator", {@code @operator}; the simulator numbers people from
     * the same first id on every start, so it is the same Telegram user, hence the same ReSide user, every time) who
     * says /profile and gets the operator's own grants through the User Manager, so that /grant and /load work from
     * the first message. The answer to /profile is also the proof that the whole chain works.
     */
    private Long operatorChat() {
        Step s = step("operator's chat");
        try {
            var me = sim.users().stream().filter(u -> "operator".equals(u.getUserName())).findFirst().orElseGet(
                    () -> sim.createUser("Operator", "operator", "en"));
            AlphaApi.Replica um = find("user-manager").orElseThrow();
            UserManagerApi users = SignedClient.of(UserManagerApi.class, URI.create(um.endpoints().get("local")),
                    operator, calleeKey(um));
            users.register(); // idempotent: the operator's user, with the super-admin sets since the claim
            // asked again every 5 s: right after a resume the telegram replica may still route to a secretary's
            // endpoint of the last run until Alpha's new endpoints reach it (a refused delivery is not retried)
            long[] asked = { 0 };
            int before = sim.botMessages(me.getId()).size();
            await(s, "the bot's answer to /profile", Duration.ofSeconds(60), () -> {
                if (System.nanoTime() - asked[0] > 5_000_000_000L) {
                    asked[0] = System.nanoTime();
                    sim.sendText(me.getId(), me.getId(), "/profile");
                }
                return sim.botMessages(me.getId());
            }, m -> m.size() > before);
            UserManagerApi.User chatUser = await(s, "the ReSide user of the operator's chat", Duration.ofSeconds(30),
                    () -> users.listUsers("telegram", null, 500).items().stream().filter(u -> u.name().equals("tg-"
                            + me.getId())).findFirst(),
                    Optional::isPresent).orElseThrow();
            Set<String> has = new LinkedHashSet<>();
            for (UserManagerApi.UserGrant g : users.listUserGrants(chatUser.id())) {
                has.add(g.contract() + " " + g.permission() + " " + g.params());
            }
            int granted = 0;
            for (UserManagerApi.UserGrant g : users.getMe().grants()) {
                if (has.add(g.contract() + " " + g.permission() + " " + g.params())) {
                    users.grantPermission(new UserManagerApi.GrantPermission(chatUser.id(), g.contract(), g
                            .permission(), g.params()));
                    granted++;
                }
            }
            s.done("Telegram user " + me.getId() + " is ReSide user " + chatUser.id() + (granted > 0 ? ", given the "
                    + "operator's " + granted + " permissions" : ", with the operator's permissions"));
            return me.getId();
        } catch (CliException e) {
            throw e;
        } catch (RuntimeException e) {
            throw s.failed(String.valueOf(e), "see " + relative(dir.logs()) + "/telegram-*.log and the secretaries' "
                    + "logs");
        }
    }

    /**
     * Its endpoint is ready: after a restart Alpha's records still say running (the desired state) while it starts
     * the process again.
     */
    private boolean answers(AlphaApi.Replica replica) {
        String endpoint = replica.endpoints().get("local");
        return endpoint != null && ReplicaProcess.readiness(http, endpoint, Duration.ofSeconds(2)) == 200;
    }

    private PublicKey calleeKey(AlphaApi.Replica replica) {
        return await(null, "account " + replica.accountId() + " known", Duration.ofSeconds(10), () -> accounts
                .publicKey(replica.accountId()), Optional::isPresent).orElseThrow();
    }

    // ------------------------------------------------------------------ stopping

    /** Takes what was just started into the stop order; when the cluster is closing already, stops it at once. */
    private synchronized void own(AutoCloseable c) {
        if (closed) {
            try {
                c.close();
            } catch (Exception e) {
                // stopping anyway
            }
            throw new CliException(ExitCodes.FAILURE, "stopped while starting");
        }
        started.push(c);
    }

    /** Whether {@link #close()} was called. */
    public boolean isClosed() {
        return closed;
    }

    /** Stops everything this cluster started, last started first; the state directory stays. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        dir.delete("running.json");
        while (!started.isEmpty()) {
            try {
                started.pop().close();
            } catch (Exception e) {
                progress.line("  could not stop cleanly: " + e.getMessage());
            }
        }
        try {
            if (lock != null) {
                lock.release();
            }
            if (lockChannel != null) {
                lockChannel.close();
            }
        } catch (IOException e) {
            // released with the process anyway
        }
    }

    // ------------------------------------------------------------------ helpers

    /** A step that, when it fails, says what failed and what to do. */
    private final class Step {
        final Progress.Step shown;

        Step(Progress.Step shown) {
            this.shown = shown;
        }

        void status(String state) {
            shown.status(state);
        }

        void done(String summary) {
            shown.done(summary);
        }

        CliException failed(String reason, String whatToDo) {
            shown.fail(reason);
            return new CliException(ExitCodes.FAILURE, reason + "; " + whatToDo);
        }
    }

    private Step step(String label) {
        return new Step(progress.step(label));
    }

    /**
     * Polls every 100 ms until {@code done} (the harness's loop); a {@link CliException} from the probe ends the wait
     * at once, and so does {@link #close()}.
     */
    private <T> T await(Step s, String what, Duration timeout, Supplier<T> probe, Predicate<T> done) {
        try {
            return LocalCluster.awaitCondition(what, timeout, probe, done, () -> closed, CliException.class);
        } catch (IllegalStateException e) {
            if (closed) {
                throw new CliException(ExitCodes.FAILURE, "stopped while waiting for " + what);
            }
            if (s != null) {
                throw s.failed(e.getMessage(), "see " + dir.alphaLog() + " and " + relative(dir.logs()) + "/");
            }
            throw e;
        }
    }

    /**
     * A digest of an application's files (names, sizes, modification times): changed by every build that changed it.
     */
    static String fingerprint(Path app) {
        try (Stream<Path> files = Files.walk(app)) {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            for (Path p : files.filter(Files::isRegularFile).sorted().toList()) {
                sha.update((app.relativize(p) + " " + Files.size(p) + " " + Files.getLastModifiedTime(p).toMillis()
                        + "\n").getBytes(java.nio.charset.StandardCharsets.UTF_8));
            }
            return HexFormat.of().formatHex(sha.digest());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    String relative(Path p) {
        return home.relativize(p.toAbsolutePath()).toString().startsWith("..") ? p.toString()
                : home.relativize(p
                        .toAbsolutePath()).toString();
    }

    static String tail(Path file, int lines) {
        try {
            List<String> all = Files.readAllLines(file);
            return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
        } catch (IOException e) {
            return "(cannot read " + file + ": " + e.getMessage() + ")";
        }
    }

    private static int freePort() {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CliException(ExitCodes.FAILURE, "interrupted");
        }
    }
}
