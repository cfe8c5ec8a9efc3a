package io.reside.runtime;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import io.smallrye.config.WithDefaults;

/**
 * Configuration every replica shares (SPEC 5.8). Each property can be set from the environment: {@code reside.cluster}
 * is {@code RESIDE_CLUSTER}, {@code reside.etcd.endpoints} is {@code RESIDE_ETCD_ENDPOINTS}, and so on.
 */
@ConfigMapping(prefix = "reside")
public interface ResideConfig {

    /** The cluster name; every key lives under {@code /reside/<cluster>/}, so clusters can share one etcd. */
    @WithDefault("default")
    String cluster();

    /**
     * The id of this replica instance's RCB (Replica Control Block), set by Alpha: the RCB says what the replica
     * requires and which grants it enforces. Required for a replica that implements contracts.
     */
    Optional<String> controlBlockId();

    /** How long start-up waits for the RCB to load. */
    @WithDefault("30s")
    Duration controlBlockLoadTimeout();

    /** This replica's account id ({@code acc_...}), registered in the cluster's account registry. */
    Optional<String> accountId();

    /**
     * This replica's private key, PEM PKCS#8 (line breaks may be written as {@code \n}). Prefer
     * {@link #accountKeyFile()}; never logged.
     */
    Optional<String> accountKey();

    /** A file holding this replica's private key (a mounted Kubernetes Secret). */
    Optional<Path> accountKeyFile();

    /**
     * Which endpoint of other replicas to call: {@code internal} (Kubernetes Service DNS), {@code external} (Ingress
     * URL) or {@code local} (loopback ports of the local runtime).
     */
    @WithDefault("internal")
    AccessContext accessContext();

    /** Where other replicas and people reach this instance (set by Alpha); shown as the servers of its OpenAPI. */
    Endpoint endpoint();

    interface Endpoint {
        /** Inside the cluster: the Kubernetes Service URL, e.g. {@code http://greeter.reside.svc:8080}. */
        Optional<URI> internal();

        /** From outside: the Ingress URL, e.g. {@code https://reside.example.org/greeter}. */
        Optional<URI> external();
    }

    /** RPC authentication. */
    Rpc rpc();

    /** Permission checks. */
    Permissions permissions();

    /** The audit trail of state-changing calls (docs/operations.md, "Audit trail"). */
    Audit audit();

    interface Audit {
        /** Keep one: Alpha and the User Manager do. */
        @WithDefault("false")
        boolean enabled();

        /** How long entries are kept in etcd (their log lines are the collector's). */
        @WithDefault("P30D")
        Duration retention();

        /** Who may read it: {@code <contract key>:<permission>}, e.g. {@code alpha.v1:replica:read:all}. */
        Optional<String> readPermission();

        /** Most entries one page gives. */
        @WithDefault("500")
        int maxPage();
    }

    interface Permissions {
        /**
         * How long permission checks keep answering from the last state seen in etcd while etcd cannot be reached
         * (a partition); after it they fail closed with 503 until the replica hears from etcd again.
         */
        @WithDefault("30s")
        Duration maxStaleness();
    }

    /** Per requirement key: how calls to its implementors are made. */
    @WithDefaults
    Map<String, Requirement> requirements();

    enum AccessContext {
        INTERNAL,
        EXTERNAL,
        LOCAL;

        public String key() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    interface Rpc {
        /** How long a session (HMAC key agreed after a signed handshake) lasts before the client renews it. */
        @WithDefault("10m")
        Duration sessionLifetime();

        /**
         * Most signed-proof ids remembered against replay, for all callers together; beyond it new signed proofs are
         * refused ({@code replay-cache-full}) until old ones expire, rather than an id still valid being forgotten.
         */
        @WithDefault("100000")
        int replayCacheSize();

        /**
         * Most signed-proof ids remembered for one caller account (a proof is remembered for up to 120 s): beyond it
         * that caller alone is refused with {@code replay-cache-full}. Replicas sign one proof per session.
         */
        @WithDefault("10000")
        int replayCachePerAccount();

        /** Most sessions held for one caller account; a new one beyond it ends that caller's oldest. */
        @WithDefault("16")
        int sessionsPerAccount();

        /** Most sessions held in all; beyond it new handshakes are refused (503) until sessions expire. */
        @WithDefault("10000")
        int maxSessions();

        /** Log one line per RPC call with caller, actor, status and duration. */
        @WithDefault("true")
        boolean accessLog();

        /** RPC over TLS (docs/security.md, "TLS"). */
        Tls tls();

        interface Tls {
            /**
             * The CA certificates (PEM) that implementors' certificates must chain to when their endpoints are
             * {@code https}: the cluster CA, given by Alpha. Without it, the JDK's trusted CAs. Serving TLS is
             * Quarkus's
             * own configuration ({@code quarkus.http.ssl.*}, {@code quarkus.http.insecure-requests=disabled}), which
             * Alpha sets.
             */
            Optional<Path> caFile();
        }
    }

    /** Calls to the implementors of one requirement. */
    interface Requirement {
        /** Time to establish a connection. */
        @WithDefault("1s")
        Duration connectTimeout();

        /** Time for one call attempt, connection included. */
        @WithDefault("5s")
        Duration callTimeout();

        /** Retries of idempotent (GET) calls after an unavailability; commands (POST) are never retried. */
        @WithDefault("2")
        int retries();

        /** Pause between retries. */
        @WithDefault("100ms")
        Duration retryDelay();

        /** Calls the circuit breaker looks at. */
        @WithDefault("10")
        int circuitBreakerRequests();

        /** Share of those failing (unavailable) that opens the circuit: calls then fail at once. */
        @WithDefault("0.5")
        double circuitBreakerFailureRatio();

        /** How long the circuit stays open before a trial call. */
        @WithDefault("5s")
        Duration circuitBreakerDelay();
    }

    /** How the replica reaches etcd. */
    Etcd etcd();

    interface Etcd {

        /** etcd client URLs, comma-separated, e.g. {@code http://etcd-0.etcd:2379,http://etcd-1.etcd:2379}. */
        List<URI> endpoints();

        /** Deadline of every etcd call, waiting for a connection included. */
        @WithDefault("5s")
        Duration callTimeout();

        /** How often a lost connection to etcd is retried. */
        @WithDefault("500ms")
        Duration reconnectInterval();

        /** gRPC keep-alive ping interval (etcd refuses pings more often than every 5 s). */
        @WithDefault("10s")
        Duration keepAliveTime();

        /** etcd's {@code --max-txn-ops}; transactions beyond it are refused before sending. */
        @WithDefault("128")
        int maxTxnOps();

        /** etcd's {@code --max-request-bytes}; requests beyond it are refused before sending. */
        @WithDefault("1572864")
        int maxRequestBytes();

        /** Lease TTL of cluster-wide locks: a crashed holder's lock frees itself after this. */
        @WithDefault("10s")
        Duration lockTtl();

        /** How long to wait for a lock held by another process. */
        @WithDefault("30s")
        Duration lockWaitTimeout();

        /** How often a watch asks etcd to prove its stream is alive. */
        @WithDefault("2s")
        Duration watchProgressInterval();

        /** A watch stream silent for this long is re-subscribed from its last revision. */
        @WithDefault("6s")
        Duration watchSilenceTimeout();

        /**
         * The etcd user this replica authenticates as ({@code RESIDE_ETCD_USERNAME}, given by Alpha: one per
         * version, confined to the replica's own keys). Unset: no credentials, for an etcd without auth.
         */
        Optional<String> username();

        /** The file holding that user's password ({@code RESIDE_ETCD_PASSWORD_FILE}, from the replica's Secret). */
        Optional<Path> passwordFile();

        /**
         * The password itself, for Alpha's {@code root} user ({@code RESIDE_ETCD_PASSWORD}); a replica gets a file.
         */
        Optional<String> password();

        /**
         * Where the replica's own keys live: {@code replica} (default) roots the injected {@code Store} at
         * {@code data/<RESIDE_CONTROL_BLOCK_ID>/}, the prefix its etcd role allows; {@code cluster} at the cluster
         * root, for Alpha only. The platform reaches the shared records through {@code Store.cluster()}.
         */
        @WithDefault("replica")
        Scope scope();

        enum Scope {
            REPLICA,
            CLUSTER
        }
    }
}
