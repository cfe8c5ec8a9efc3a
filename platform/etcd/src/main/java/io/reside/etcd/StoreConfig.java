package io.reside.etcd;

import static java.util.Objects.requireNonNull;

import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.regex.Pattern;

/**
 * How a {@link Store} reaches etcd and the limits it enforces. Build with {@link #builder()}; every value but the
 * endpoints has a default.
 *
 * @param endpoints etcd client URLs ({@code http://host:port}); at least one
 * @param cluster the cluster name: every key lives under {@code /reside/<cluster>/} (default {@code default})
 * @param callTimeout deadline of every single etcd call, including waiting for a connection (default 5 s)
 * @param reconnectInterval how often a lost connection is retried; replaces gRPC's exponential backoff, which can
 *        wait two minutes after a long outage (default 500 ms)
 * @param keepAliveTime gRPC keep-alive ping interval that detects dead connections (default 10 s; etcd refuses
 *        pings more often than every 5 s)
 * @param maxTxnOps etcd's {@code --max-txn-ops}: most compares, and most operations, in one transaction
 *        (default 128)
 * @param maxRequestBytes etcd's {@code --max-request-bytes} (default 1.5 MiB)
 * @param lockTtl lease TTL of {@link Store#locked} locks: a crashed holder's lock frees itself after this (default
 *        10 s, at least 2 s)
 * @param lockWaitTimeout how long {@link Store#locked} waits for a lock held elsewhere (default 30 s)
 * @param watchProgressInterval how often a watch asks etcd to prove the stream is alive (default 2 s)
 * @param watchSilenceTimeout a watch stream silent for this long is considered dead and re-subscribed from its last
 *        revision (default 6 s)
 * @param txDefaults options of {@link Store#run(TxFunction)} and {@link Store#locked(String, TxFunction)}
 * @param credentials the etcd user this store authenticates as when etcd has auth enabled; {@code null} when it
 *        does not (docs/adr/0008)
 */
public record StoreConfig(
        List<URI> endpoints,
        String cluster,
        Duration callTimeout,
        Duration reconnectInterval,
        Duration keepAliveTime,
        int maxTxnOps,
        int maxRequestBytes,
        Duration lockTtl,
        Duration lockWaitTimeout,
        Duration watchProgressInterval,
        Duration watchSilenceTimeout,
        TxOptions txDefaults,
        Credentials credentials) {

    /** Kubernetes-style DNS label: the cluster name appears in keys and resource names. */
    private static final Pattern CLUSTER_NAME = Pattern.compile("[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?");

    public StoreConfig {
        endpoints = List.copyOf(requireNonNull(endpoints, "endpoints"));
        if (endpoints.isEmpty()) {
            throw new IllegalArgumentException("at least one etcd endpoint is required, e.g. http://127.0.0.1:2379");
        }
        for (URI e : endpoints) {
            if (!"http".equals(e.getScheme()) || e.getHost() == null || e.getPort() < 0) {
                throw new IllegalArgumentException("etcd endpoint '" + e
                        + "' must look like http://host:port (TLS endpoints are not supported yet)");
            }
        }
        requireNonNull(cluster, "cluster");
        if (!CLUSTER_NAME.matcher(cluster).matches()) {
            throw new IllegalArgumentException("cluster name '" + cluster
                    + "' must be 1-63 lowercase letters, digits or '-', starting and ending with a letter or digit");
        }
        positive(callTimeout, "callTimeout");
        positive(reconnectInterval, "reconnectInterval");
        positive(keepAliveTime, "keepAliveTime");
        if (maxTxnOps < 1) {
            throw new IllegalArgumentException("maxTxnOps must be positive");
        }
        if (maxRequestBytes < 1024) {
            throw new IllegalArgumentException("maxRequestBytes must be at least 1024");
        }
        positive(lockTtl, "lockTtl");
        if (lockTtl.compareTo(Duration.ofSeconds(2)) < 0) {
            throw new IllegalArgumentException("lockTtl must be at least 2s (etcd's shortest lease), got " + lockTtl);
        }
        positive(lockWaitTimeout, "lockWaitTimeout");
        positive(watchProgressInterval, "watchProgressInterval");
        positive(watchSilenceTimeout, "watchSilenceTimeout");
        requireNonNull(txDefaults, "txDefaults");
    }

    /**
     * An etcd user name and password. The password never appears in {@link #toString()}, logs or errors.
     */
    public record Credentials(String username, String password) {
        public Credentials {
            requireNonNull(username, "username");
            requireNonNull(password, "password");
            if (username.isBlank() || !username.strip().equals(username)) {
                throw new IllegalArgumentException("etcd user name '" + username + "' must be non-blank, without "
                        + "surrounding spaces");
            }
            if (password.isEmpty()) {
                throw new IllegalArgumentException("the password of etcd user '" + username + "' is empty");
            }
        }

        @Override
        public String toString() {
            return "Credentials[username=" + username + ", password=(hidden)]";
        }
    }

    public static Builder builder() {
        return new Builder();
    }

    /** A builder holding this configuration's values. */
    public Builder toBuilder() {
        return new Builder().endpoints(endpoints).cluster(cluster).callTimeout(callTimeout)
                .reconnectInterval(reconnectInterval).keepAliveTime(keepAliveTime).maxTxnOps(maxTxnOps)
                .maxRequestBytes(maxRequestBytes).lockTtl(lockTtl).lockWaitTimeout(lockWaitTimeout)
                .watchProgressInterval(watchProgressInterval).watchSilenceTimeout(watchSilenceTimeout)
                .txDefaults(txDefaults).credentials(credentials);
    }

    private static void positive(Duration d, String name) {
        requireNonNull(d, name);
        if (d.isNegative() || d.isZero()) {
            throw new IllegalArgumentException(name + " must be positive, got " + d);
        }
    }

    public static final class Builder {
        private List<URI> endpoints = List.of();
        private String cluster = "default";
        private Duration callTimeout = Duration.ofSeconds(5);
        private Duration reconnectInterval = Duration.ofMillis(500);
        private Duration keepAliveTime = Duration.ofSeconds(10);
        private int maxTxnOps = 128;
        private int maxRequestBytes = 1536 * 1024;
        private Duration lockTtl = Duration.ofSeconds(10);
        private Duration lockWaitTimeout = Duration.ofSeconds(30);
        private Duration watchProgressInterval = Duration.ofSeconds(2);
        private Duration watchSilenceTimeout = Duration.ofSeconds(6);
        private TxOptions txDefaults = TxOptions.DEFAULT;
        private Credentials credentials;

        private Builder() {
        }

        public Builder endpoints(List<URI> endpoints) {
            this.endpoints = requireNonNull(endpoints, "endpoints");
            return this;
        }

        /** Comma-separated or separate client URLs, e.g. {@code http://127.0.0.1:2379}. */
        public Builder endpoints(String... endpoints) {
            this.endpoints = java.util.Arrays.stream(endpoints)
                    .flatMap(e -> java.util.Arrays.stream(e.split(",")))
                    .map(String::trim).filter(e -> !e.isEmpty()).map(URI::create).toList();
            return this;
        }

        public Builder cluster(String cluster) {
            this.cluster = cluster;
            return this;
        }

        public Builder callTimeout(Duration callTimeout) {
            this.callTimeout = callTimeout;
            return this;
        }

        public Builder reconnectInterval(Duration reconnectInterval) {
            this.reconnectInterval = reconnectInterval;
            return this;
        }

        public Builder keepAliveTime(Duration keepAliveTime) {
            this.keepAliveTime = keepAliveTime;
            return this;
        }

        public Builder maxTxnOps(int maxTxnOps) {
            this.maxTxnOps = maxTxnOps;
            return this;
        }

        public Builder maxRequestBytes(int maxRequestBytes) {
            this.maxRequestBytes = maxRequestBytes;
            return this;
        }

        public Builder lockTtl(Duration lockTtl) {
            this.lockTtl = lockTtl;
            return this;
        }

        public Builder lockWaitTimeout(Duration lockWaitTimeout) {
            this.lockWaitTimeout = lockWaitTimeout;
            return this;
        }

        public Builder watchProgressInterval(Duration watchProgressInterval) {
            this.watchProgressInterval = watchProgressInterval;
            return this;
        }

        public Builder watchSilenceTimeout(Duration watchSilenceTimeout) {
            this.watchSilenceTimeout = watchSilenceTimeout;
            return this;
        }

        public Builder txDefaults(TxOptions txDefaults) {
            this.txDefaults = txDefaults;
            return this;
        }

        /** Authenticate as this etcd user ({@code null}: etcd has auth disabled). */
        public Builder credentials(Credentials credentials) {
            this.credentials = credentials;
            return this;
        }

        public Builder credentials(String username, String password) {
            return credentials(new Credentials(username, password));
        }

        public StoreConfig build() {
            return new StoreConfig(endpoints, cluster, callTimeout, reconnectInterval, keepAliveTime, maxTxnOps,
                    maxRequestBytes, lockTtl, lockWaitTimeout, watchProgressInterval, watchSilenceTimeout,
                    txDefaults, credentials);
        }
    }
}
