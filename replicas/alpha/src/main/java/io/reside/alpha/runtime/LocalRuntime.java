package io.reside.alpha.runtime;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import org.jboss.logging.Logger;

import com.fasterxml.jackson.databind.ObjectMapper;

import io.reside.alpha.config.AlphaConfig;
import io.reside.images.ImageLayers;
import io.reside.images.ImageReference;
import io.reside.images.RegistryClient;
import io.reside.runtime.ResideConfig;
import io.reside.security.AccountKey;

/**
 * Runs each version as a child process of Alpha, as a pod would run it: the image's layers pulled from the registry
 * by digest into {@code <state-dir>/images/<digest>} (so the registry is the one source of images), the Quarkus
 * application started with the host's {@code java} and memory-conscious options, the {@code RESIDE_*} environment a
 * pod would get, a loopback port published as the {@code local} endpoint (the one it had before when that is free,
 * so an instance's endpoint survives restarts), and stdout and stderr in
 * {@code <state-dir>/logs/<name>-<version>.log}.
 * <p>
 * A process that exits is started again with backoff (its version {@code degraded}, then {@code error} after
 * {@value #MAX_RESTARTS} restarts in a row that did not become ready). Each process is recorded in
 * {@code <state-dir>/run/}: an Alpha that restarts adopts its children instead of starting them twice; closing the
 * runtime stops them all.
 */
public final class LocalRuntime implements WorkloadRuntime {

    private static final Logger LOG = Logger.getLogger(LocalRuntime.class);
    static final int MAX_RESTARTS = 5;

    private final AlphaConfig.Local config;
    private final ResideConfig reside;
    private final RegistryClient registry;
    private final Path images;
    private final Path keys;
    private final Path logs;
    private final Path run;
    private final ObjectMapper json = io.reside.etcd.DocType.mapper();
    private final HttpClient http;
    /** RPC over TLS (alpha.tls.enabled): the cluster CA and the replicas' certificates; null when off. */
    private final LocalTls tls;
    /** alpha.telemetry.otlp-endpoint: where the replicas export their spans. */
    private final java.util.Optional<String> otlpEndpoint;
    private final Map<String, Workload> workloads = new ConcurrentHashMap<>();
    private boolean adopted;
    private volatile Runnable nudge = () -> {
    };
    /** Probes a starting process's readiness every 50 ms, so that "running" does not wait for the next pass. */
    private final ScheduledExecutorService probes = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "alpha-readiness");
        t.setDaemon(true);
        return t;
    });

    /** What is recorded of a running process, to adopt it after a restart of Alpha. */
    @io.quarkus.runtime.annotations.RegisterForReflection // written and read as JSON
    record ProcessRecord(String key, String name, long pid, int port, String appDir, Instant startedAt) {
    }

    /** One version's process, and how it fares. */
    private final class Workload {
        final String key;
        final String name;
        volatile ProcessHandle process;
        /** The process when this Alpha started it (an adopted one has only its handle): its exit status. */
        Process started;
        boolean completed;
        int port;
        Path appDir;
        boolean wanted = true;
        /** Set by the readiness probe as soon as the process answers, or by a pass. */
        volatile boolean ready;
        int restarts;
        long nextStartNanos;
        long startedNanos;
        long stopRequestedNanos;
        String failure;

        Workload(String key, String name) {
            this.key = key;
            this.name = name;
        }
    }

    public LocalRuntime(AlphaConfig.Local config, ResideConfig reside, RegistryClient registry,
            AlphaConfig.Tls tlsConfig, java.util.Optional<String> otlpEndpoint) {
        this.otlpEndpoint = otlpEndpoint;
        this.config = config;
        this.reside = reside;
        this.registry = registry;
        Path state = config.stateDir().toAbsolutePath();
        this.tls = tlsConfig.enabled() ? LocalTls.open(state, tlsConfig.certificateValidity()) : null;
        HttpClient.Builder client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1));
        if (tls != null) {
            client.sslContext(tls.sslContext());
        }
        this.http = client.build();
        this.images = state.resolve("images");
        this.keys = state.resolve("keys");
        this.logs = state.resolve("logs");
        this.run = state.resolve("run");
        try {
            for (Path p : List.of(images, keys, logs, run)) {
                Files.createDirectories(p);
            }
        } catch (IOException e) {
            throw new IllegalStateException("cannot create Alpha's state directory " + state + " (alpha.local"
                    + ".state-dir): " + e.getMessage(), e);
        }
    }

    // ------------------------------------------------------------------ keys

    @Override
    public void saveKey(String replicaName, String accountId, AccountKey key) {
        io.reside.alpha.service.Secrets.write(keyFile(accountId), key.toPem());
    }

    @Override
    public void deleteKey(String accountId) {
        if (tls != null) {
            tls.delete(accountId);
        }
        try {
            Files.deleteIfExists(keyFile(accountId));
        } catch (IOException e) {
            LOG.warnf("cannot delete the key file of %s: %s", accountId, e.getMessage());
        }
    }

    @Override
    public Map<String, Long> storedKeys() {
        Map<String, Long> found = new HashMap<>();
        try (Stream<Path> files = Files.list(keys)) {
            long now = System.currentTimeMillis();
            files.filter(f -> f.getFileName().toString().endsWith(".pem")).forEach(f -> {
                try {
                    found.put(f.getFileName().toString().replace(".pem", ""),
                            now - Files.getLastModifiedTime(f).toMillis());
                } catch (IOException e) {
                    // gone meanwhile
                }
            });
        } catch (IOException e) {
            LOG.warnf("cannot list %s: %s", keys, e.getMessage());
        }
        return found;
    }

    // ------------------------------------------------------------------ the claim code

    private Path claimCodeFile() {
        return config.stateDir().toAbsolutePath().resolve("claim-code");
    }

    @Override
    public Optional<String> readClaimCode() {
        try {
            return Files.exists(claimCodeFile()) ? Optional.of(Files.readString(claimCodeFile()).trim())
                    .filter(c -> !c.isEmpty()) : Optional.empty();
        } catch (IOException e) {
            throw new IllegalStateException("cannot read " + claimCodeFile() + ": " + e.getMessage(), e);
        }
    }

    @Override
    public void writeClaimCode(String code) {
        io.reside.alpha.service.Secrets.write(claimCodeFile(), code + "\n");
    }

    @Override
    public void deleteClaimCode() {
        try {
            Files.deleteIfExists(claimCodeFile());
        } catch (IOException e) {
            throw new IllegalStateException("cannot delete " + claimCodeFile() + ": " + e.getMessage(), e);
        }
    }

    @Override
    public String claimCodeLocation() {
        return claimCodeFile().toString();
    }

    @Override
    public java.util.Optional<String> selfUpdateRefusal() {
        return java.util.Optional.of("the local runtime does not run Alpha itself (reside dev, or whoever started "
                + "Alpha, does): rebuild Alpha and start it again; its records and identity stay. On Kubernetes, "
                + "Alpha updates itself through a load request");
    }

    /** A version's etcd password, beside the account keys (0600; deleted when the version stops). */
    private Path etcdPasswordFile(String user) {
        return keys.resolve("etcd").resolve(user);
    }

    private void deleteEtcdPassword(String workloadKey) {
        int slash = workloadKey.lastIndexOf('/');
        Path file = etcdPasswordFile(EtcdUsers.userName(workloadKey.substring(0, slash), Integer.parseInt(workloadKey
                .substring(slash + 1))));
        try {
            Files.deleteIfExists(file);
        } catch (IOException e) {
            LOG.warnf("cannot delete %s: %s", file, e.getMessage());
        }
    }

    private Path keyFile(String accountId) {
        if (!accountId.matches("acc_[a-z2-7]{32}")) {
            throw new IllegalArgumentException("not an account id: " + accountId);
        }
        return keys.resolve(accountId + ".pem");
    }

    // ------------------------------------------------------------------ workloads

    @Override
    public synchronized Map<String, Observed> reconcile(Collection<Desired> desired) {
        adoptOnce();
        Map<String, Desired> wanted = new HashMap<>();
        for (Desired d : desired) {
            wanted.put(d.key(), d);
        }
        for (Workload w : workloads.values()) {
            w.wanted = wanted.containsKey(w.key);
        }
        Map<String, Observed> observed = new HashMap<>();
        for (Desired d : desired) {
            Workload w = workloads.computeIfAbsent(d.key(), k -> new Workload(k, d.replica().name() + "-"
                    + d.version().id()));
            observed.put(d.key(), keepRunning(w, d));
        }
        for (Workload w : List.copyOf(workloads.values())) {
            if (!w.wanted) {
                observed.put(w.key, stop(w));
            }
        }
        return observed;
    }

    @Override
    public Set<String> known() {
        adoptOnce();
        return Set.copyOf(workloads.keySet());
    }

    @Override
    public void onChange(Runnable nudge) {
        this.nudge = nudge;
    }

    private static boolean oneshot(Desired d) {
        return "oneshot".equals(d.version().manifest().info().replicaClass());
    }

    private Observed keepRunning(Workload w, Desired d) {
        boolean oneshot = oneshot(d);
        if (oneshot && (w.completed || w.process == null && "completed".equals(d.version().status()))) {
            w.completed = true;
            return new Observed("completed", null, Map.of()); // a oneshot that finished is not run again
        }
        if (w.process != null && !w.process.isAlive() && oneshot) {
            Integer exit = w.started == null ? null : w.started.exitValue();
            if (exit == null || exit == 0) {
                LOG.infof("%s completed%s", w.name, exit == null ? " (exit status unknown: started by an earlier "
                        + "Alpha)" : "");
                w.completed = true;
                w.process = null;
                deleteRecord(w.key);
                return new Observed("completed", null, Map.of());
            }
            w.failure = "exited with status " + exit + " (see " + logFile(w) + ")";
        }
        if (w.process != null && w.process.isAlive()) {
            w.ready = w.ready || ready(w.port);
            if (w.ready) {
                w.restarts = 0;
                return new Observed("running", null, endpoints(w.port));
            }
            if (System.nanoTime() - w.startedNanos > config.startTimeout().toNanos()) {
                LOG.warnf("%s did not become ready within %s; restarting it (see %s)", w.name, config.startTimeout(),
                        logFile(w));
                kill(w.process);
                w.process = null;
                w.failure = "not ready within " + config.startTimeout();
            } else {
                return new Observed(w.restarts == 0 ? "starting" : "degraded", w.failure, Map.of());
            }
        }
        if (w.process != null) { // it exited
            if (!oneshot) {
                w.failure = "the process exited (see " + logFile(w) + ")";
            }
            LOG.warnf("%s exited; restarting it (log: %s)", w.name, logFile(w));
            w.process = null;
            w.ready = false;
            deleteRecord(w.key);
            w.restarts++;
            w.nextStartNanos = System.nanoTime() + backoff(w.restarts);
        }
        if (w.restarts > MAX_RESTARTS) {
            return new Observed("error", w.failure + "; gave up after " + MAX_RESTARTS + " restarts", Map.of());
        }
        if (System.nanoTime() < w.nextStartNanos) {
            return new Observed("degraded", w.failure, Map.of());
        }
        try {
            start(w, d);
            return new Observed(w.restarts == 0 ? "starting" : "degraded", w.failure, Map.of());
        } catch (RuntimeException e) {
            w.failure = e.getMessage();
            w.restarts++;
            w.nextStartNanos = System.nanoTime() + backoff(w.restarts);
            LOG.warnf("cannot start %s: %s", w.name, e.getMessage());
            return new Observed(w.restarts > MAX_RESTARTS ? "error" : "degraded", e.getMessage(), Map.of());
        }
    }

    /**
     * The port the instance's current version served on before (its recorded {@code local} endpoint) when that port
     * is free, else a free one: an instance keeps its endpoint across restarts of Alpha and of {@code reside dev}, as
     * a Service keeps its name, so the replicas wired to it need no new endpoint before they can call it again.
     */
    private static int portFor(Desired d) {
        String local = d.replica().currentVersionId() == d.version().id() && d.replica().endpoints() != null ? d
                .replica().endpoints().get("local") : null;
        if (local != null) {
            try {
                int port = URI.create(local).getPort();
                if (port > 0 && portFree(port)) {
                    return port;
                }
            } catch (IllegalArgumentException e) {
                // not a URL: a free port then
            }
        }
        return freePort();
    }

    private static boolean portFree(int port) {
        try (ServerSocket s = new ServerSocket(port, 1, InetAddress.getLoopbackAddress())) {
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    private static long backoff(int restarts) {
        return TimeUnit.MILLISECONDS.toNanos(Math.min(30_000, 500L << Math.min(restarts, 6)));
    }

    private void start(Workload w, Desired d) {
        Path appDir = unpacked(d);
        int port = portFor(d);
        List<String> command = new ArrayList<>();
        command.add(java());
        command.addAll(config.jvmOptions());
        Path archive = appDir.resolve(CDS_ARCHIVE);
        if (Files.isRegularFile(archive)) {
            // an archive this JVM rejects (another java, changed options) is ignored: the start is just slower
            command.add("-XX:SharedArchiveFile=" + archive);
            command.add("-Xlog:cds=off");
        }
        command.add("-jar");
        command.add(appDir.resolve("app/quarkus-run.jar").toString());
        ProcessBuilder pb = new ProcessBuilder(command).directory(appDir.resolve("app").toFile())
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(logFile(w).toFile()));
        Map<String, String> env = pb.environment();
        env.keySet().removeIf(k -> k.startsWith("RESIDE_") || k.startsWith("QUARKUS_") || k.startsWith("ALPHA_"));
        env.put("RESIDE_ETCD_ENDPOINTS", String.join(",", reside.etcd().endpoints().stream().map(URI::toString)
                .toList()));
        env.put("RESIDE_CLUSTER", reside.cluster());
        env.put("RESIDE_CONTROL_BLOCK_ID", d.replica().id());
        env.put("RESIDE_ACCOUNT_ID", d.replica().accountId());
        env.put("RESIDE_ACCOUNT_KEY_FILE", keyFile(d.replica().accountId()).toString());
        env.put("RESIDE_ACCESS_CONTEXT", "local");
        env.put("QUARKUS_HTTP_HOST", "127.0.0.1");
        if (tls == null) {
            env.put("QUARKUS_HTTP_PORT", Integer.toString(port));
        } else {
            // HTTPS only, with the instance's certificate; its calls trust the cluster CA only
            LocalTls.ServerFiles cert = tls.serverFiles(d.replica().accountId());
            env.putAll(WorkloadRuntime.tlsEnv(port, cert.certificate().toString(), cert.key().toString(), tls
                    .caFile().toString()));
        }
        env.putAll(WorkloadRuntime.telemetryEnv(otlpEndpoint, d.replica().name(), d.replica().id()));
        if (config.jsonLogs()) {
            env.putAll(WorkloadRuntime.jsonLogEnv(d.replica().name()));
        }
        env.putAll(secrets(d.replica().name()));
        if (d.etcd() != null) {
            Path passwordFile = etcdPasswordFile(d.etcd().username());
            io.reside.alpha.service.Secrets.write(passwordFile, d.etcd().password());
            env.putAll(WorkloadRuntime.etcdEnv(d.etcd(), passwordFile.toString()));
        }
        try {
            Process p = pb.start();
            w.started = p;
            w.process = p.toHandle();
            p.onExit().thenRun(() -> nudge.run());
            w.port = port;
            w.appDir = appDir;
            w.ready = false;
            w.startedNanos = System.nanoTime();
            writeRecord(new ProcessRecord(w.key, w.name, p.pid(), port, appDir.toString(), Instant.now()));
            LOG.infof("started %s (pid %d, port %d, log %s)", w.name, p.pid(), port, logFile(w));
            probeReadiness(w, w.process);
        } catch (IOException e) {
            throw new IllegalStateException("cannot start " + String.join(" ", command.subList(0, 1)) + ": "
                    + e.getMessage(), e);
        }
    }

    /** Tells the reconciler as soon as the process is ready (or gives up at its start timeout). */
    private void probeReadiness(Workload w, ProcessHandle p) {
        long deadline = System.nanoTime() + config.startTimeout().toNanos();
        Runnable probe = new Runnable() {
            @Override
            public void run() {
                if (w.process != p || !p.isAlive() || w.ready || System.nanoTime() > deadline) {
                    return;
                }
                if (ready(w.port)) {
                    w.ready = true;
                    nudge.run();
                } else {
                    probes.schedule(this, 50, TimeUnit.MILLISECONDS);
                }
            }
        };
        try {
            probes.schedule(probe, 100, TimeUnit.MILLISECONDS);
        } catch (java.util.concurrent.RejectedExecutionException e) {
            // closing: the pass checks readiness itself
        }
    }

    private Observed stop(Workload w) {
        if (w.process == null || !w.process.isAlive()) {
            workloads.remove(w.key);
            deleteRecord(w.key);
            deleteEtcdPassword(w.key);
            return new Observed("stopped", null, Map.of());
        }
        if (w.stopRequestedNanos == 0) {
            LOG.infof("stopping %s (pid %d)", w.name, w.process.pid());
            w.process.destroy(); // SIGTERM: Quarkus drains the calls in flight
            w.stopRequestedNanos = System.nanoTime();
        } else if (System.nanoTime() - w.stopRequestedNanos > config.stopTimeout().toNanos()) {
            LOG.warnf("%s did not stop within %s: killing it", w.name, config.stopTimeout());
            w.process.destroyForcibly();
        }
        return new Observed("stopping", null, Map.of());
    }

    private boolean ready(int port) {
        try {
            return http.send(HttpRequest.newBuilder(URI.create(scheme() + "://127.0.0.1:" + port + "/q/health/ready"))
                    .timeout(Duration.ofSeconds(1)).build(), HttpResponse.BodyHandlers.discarding())
                    .statusCode() == 200;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /** The replica's own secrets ({@code alpha.local.secrets-dir}); their values are never logged. */
    private Map<String, String> secrets(String replicaName) {
        Path dir = config.secretsDir().orElse(config.stateDir().resolve("secrets"));
        Path file = dir.resolve(replicaName + ".env");
        if (!Files.isRegularFile(file)) {
            return Map.of();
        }
        try {
            var perms = Files.getPosixFilePermissions(file);
            if (perms.contains(java.nio.file.attribute.PosixFilePermission.GROUP_READ)
                    || perms.contains(java.nio.file.attribute.PosixFilePermission.OTHERS_READ)) {
                throw new IllegalStateException("the secrets of " + replicaName + " (" + file + ") may be read by "
                        + "others: chmod 600 it");
            }
            Map<String, String> out = new java.util.LinkedHashMap<>();
            for (String line : Files.readAllLines(file)) {
                String l = line.strip();
                int eq = l.indexOf('=');
                if (l.isEmpty() || l.startsWith("#")) {
                    continue;
                }
                if (eq < 1 || !l.substring(0, eq).matches("[A-Z_][A-Z0-9_]*")) {
                    throw new IllegalStateException(file + " has a line that is not NAME=value");
                }
                out.put(l.substring(0, eq), l.substring(eq + 1));
            }
            return out;
        } catch (IOException e) {
            throw new IllegalStateException("cannot read the secrets of " + replicaName + " (" + file + "): "
                    + e.getMessage());
        } catch (UnsupportedOperationException e) {
            return Map.of();
        }
    }

    private Map<String, String> endpoints(int port) {
        return Map.of("local", scheme() + "://127.0.0.1:" + port);
    }

    private String scheme() {
        return tls == null ? "http" : "https";
    }

    /** The application of a version's image, unpacked once per digest (a partial directory is never used). */
    private Path unpacked(Desired d) {
        String digest = d.version().digest();
        if (digest == null || !digest.startsWith("sha256:")) {
            throw new IllegalStateException("version " + d.key() + " has no image digest");
        }
        Path dir = images.resolve(digest.substring(7));
        if (Files.isRegularFile(dir.resolve("app/quarkus-run.jar"))) {
            return dir;
        }
        ImageReference ref = ImageReference.parse(d.version().image()).withDigest(digest);
        RegistryClient.ResolvedImage image = registry.resolve(ref);
        Path partial = images.resolve(digest.substring(7) + ".partial");
        try {
            deleteRecursively(partial);
            Path blobs = images.resolve("blobs");
            for (RegistryClient.Descriptor layer : image.layers()) {
                Path blob = blobs.resolve(layer.digest().substring(7));
                if (!Files.exists(blob)) {
                    registry.pull(ref, layer, blob);
                }
                ImageLayers.unpack(blob, partial);
            }
            if (!Files.isRegularFile(partial.resolve("app/quarkus-run.jar"))) {
                throw new IllegalStateException("image " + ref + " has no /app/quarkus-run.jar: the local runtime "
                        + "runs Quarkus applications built by ImageBuilder");
            }
            Files.move(partial, dir, StandardCopyOption.ATOMIC_MOVE);
            for (RegistryClient.Descriptor layer : image.layers()) {
                Files.deleteIfExists(blobs.resolve(layer.digest().substring(7)));
            }
            if (config.classDataSharing()) {
                trainClassData(dir);
            }
            return dir;
        } catch (IOException e) {
            throw new IllegalStateException("cannot unpack image " + ref + ": " + e.getMessage(), e);
        }
    }

    static final String CDS_ARCHIVE = "app-cds.jsa";

    /**
     * Class-data sharing for the replicas of one image (SPEC 11: AppCDS): once per digest, right after unpacking, a
     * training JVM runs the application with Quarkus's {@code quarkus.appcds.generate} and no configuration, so it
     * loads and links what a start loads up to the configuration check, and exits; the JVM writes those classes to
     * {@code app-cds.jsa} (a dynamic archive, {@code -XX:ArchiveClassesAtExit}), which every start of that digest then
     * maps instead of loading the classes again. The archive records the jars' paths, sizes and times, so it is made on
     * the unpacked files where they stay; it is written under another name and renamed, so a start never sees half of
     * one. A training that fails or takes more than 60 s leaves no archive, and starts are as before.
     */
    private void trainClassData(Path dir) {
        Path partial = dir.resolve(CDS_ARCHIVE + ".partial");
        List<String> command = new ArrayList<>();
        command.add(java());
        command.addAll(config.jvmOptions());
        command.add("-XX:ArchiveClassesAtExit=" + partial);
        command.add("-Xlog:cds=off");
        command.add("-Dquarkus.appcds.generate=true");
        command.add("-jar");
        command.add(dir.resolve("app/quarkus-run.jar").toString());
        ProcessBuilder pb = new ProcessBuilder(command).directory(dir.resolve("app").toFile()).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.to(dir.resolve("app-cds-training.log").toFile()));
        pb.environment().keySet().removeIf(k -> k.startsWith("RESIDE_") || k.startsWith("QUARKUS_") || k.startsWith(
                "ALPHA_"));
        long t0 = System.nanoTime();
        try {
            Process p = pb.start();
            if (!p.waitFor(60, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                LOG.warnf("class-data training of %s took over 60 s: its replicas start without an archive", dir);
                return;
            }
            if (Files.exists(partial) && Files.size(partial) > 0) {
                Files.move(partial, dir.resolve(CDS_ARCHIVE), StandardCopyOption.ATOMIC_MOVE);
                LOG.infof("class data of %s archived in %d ms", dir.getFileName(),
                        (System.nanoTime() - t0) / 1_000_000);
            }
        } catch (IOException e) {
            LOG.warnf("no class-data archive for %s (%s): its replicas start without one", dir, e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private String java() {
        return config.java().map(Path::toString).orElseGet(() -> ProcessHandle.current().info().command()
                .orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString()));
    }

    private Path logFile(Workload w) {
        return logs.resolve(w.name + ".log");
    }

    // ------------------------------------------------------------------ adoption

    /**
     * The first time this Alpha acts (it holds the workload lock), it takes over the processes that an earlier
     * Alpha recorded; an Alpha that never acts never touches them, so stopping it stops nothing of another's.
     */
    private synchronized void adoptOnce() {
        if (!adopted) {
            adopted = true;
            adopt();
        }
    }

    /** Takes over the processes an earlier Alpha started and recorded, if they still run what was recorded. */
    private void adopt() {
        try (Stream<Path> records = Files.list(run)) {
            for (Path file : records.filter(f -> f.toString().endsWith(".json")).toList()) {
                try {
                    ProcessRecord r = json.readValue(file.toFile(), ProcessRecord.class);
                    Optional<ProcessHandle> p = ProcessHandle.of(r.pid()).filter(ProcessHandle::isAlive)
                            .filter(h -> h.info().commandLine().map(c -> c.contains(r.appDir())).orElse(false));
                    if (p.isEmpty()) {
                        Files.deleteIfExists(file);
                        continue;
                    }
                    String name = r.name() != null ? r.name() : file.getFileName().toString().replace(".json", "");
                    Workload w = new Workload(r.key(), name);
                    w.process = p.get();
                    w.process.onExit().thenRun(() -> nudge.run());
                    w.port = r.port();
                    w.appDir = Path.of(r.appDir());
                    w.startedNanos = System.nanoTime();
                    workloads.put(r.key(), w);
                    LOG.infof("adopted %s (pid %d, port %d), started by an earlier Alpha", r.key(), r.pid(), r.port());
                } catch (IOException e) {
                    Files.deleteIfExists(file);
                }
            }
        } catch (IOException e) {
            LOG.warnf("cannot read %s: %s", run, e.getMessage());
        }
    }

    private void writeRecord(ProcessRecord r) {
        try {
            Path file = run.resolve(r.key().replace('/', '-') + ".json");
            Path partial = file.resolveSibling(file.getFileName() + ".partial");
            json.writeValue(partial.toFile(), r);
            Files.move(partial, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            LOG.warnf("cannot record process %s: %s", r.key(), e.getMessage());
        }
    }

    private void deleteRecord(String key) {
        try {
            Files.deleteIfExists(run.resolve(key.replace('/', '-') + ".json"));
        } catch (IOException e) {
            LOG.debugf("cannot delete the record of %s: %s", key, e.getMessage());
        }
    }

    // ------------------------------------------------------------------ shutdown

    /** Replicas run on this machine: they reach Alpha on loopback. */
    @Override
    public Map<String, String> selfEndpoints(int port) {
        return Map.of("local", "http://127.0.0.1:" + port);
    }

    /** Stops every child: SIGTERM, then SIGKILL after the stop timeout. */
    @Override
    public synchronized void close() {
        probes.shutdownNow();
        List<ProcessHandle> children = new ArrayList<>();
        for (Workload w : workloads.values()) {
            if (w.process != null && w.process.isAlive()) {
                w.process.destroy();
                children.add(w.process);
            }
        }
        long deadline = System.nanoTime() + config.stopTimeout().toNanos();
        for (ProcessHandle p : children) {
            try {
                p.onExit().get(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
            } catch (Exception e) {
                p.destroyForcibly();
            }
        }
        Set<String> keysToForget = new HashSet<>(workloads.keySet());
        keysToForget.forEach(this::deleteRecord);
        workloads.clear();
    }

    private static void kill(ProcessHandle p) {
        p.destroyForcibly();
    }

    private static int freePort() {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        } catch (IOException e) {
            throw new IllegalStateException("no free loopback port: " + e.getMessage(), e);
        }
    }

    private static void deleteRecursively(Path p) throws IOException {
        if (!Files.exists(p)) {
            return;
        }
        try (Stream<Path> files = Files.walk(p)) {
            for (Path f : files.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.delete(f);
            }
        }
    }
}
