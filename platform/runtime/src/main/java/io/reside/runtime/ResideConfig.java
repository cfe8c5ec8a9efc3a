package io.reside.runtime;

import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

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
    }
}
