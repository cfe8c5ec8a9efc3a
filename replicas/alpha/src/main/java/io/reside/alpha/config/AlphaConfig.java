package io.reside.alpha.config;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

/** Alpha's own configuration ({@code alpha.*}; from the environment as {@code ALPHA_*}). */
@ConfigMapping(prefix = "alpha")
public interface AlphaConfig {

    /** Where the replicas run: {@code local} (child processes of Alpha) or {@code kubernetes}. */
    @WithDefault("local")
    RuntimeKind runtime();

    enum RuntimeKind {
        LOCAL,
        KUBERNETES
    }

    /** The registries images come from. */
    Registry registry();

    interface Registry {
        /** Registries (host:port) reached over plain HTTP besides loopback ones. */
        Optional<Set<String>> insecure();

        /** The deadline of each registry call. */
        @WithDefault("30s")
        Duration timeout();

        /**
         * Registry mirrors, {@code <registry>=<mirror>} (e.g. {@code localhost:5000=127.0.0.1:35011}): images whose
         * identity names the registry are read from the mirror. Identities stay as the build wrote them.
         */
        Optional<List<String>> mirror();

        /** The tag of a contract's image, read when a requirement's contract is not known yet. */
        @WithDefault("latest")
        String contractTag();
    }

    /** The local runtime. */
    Local local();

    interface Local {
        /**
         * Alpha's state directory: unpacked images ({@code images/}), replicas' key files ({@code keys/}, mode 0600),
         * logs ({@code logs/}) and process records ({@code run/}).
         */
        @WithDefault(".reside/alpha")
        Path stateDir();

        /** JVM options of replicas (memory-conscious by default: SPEC 11). */
        @WithDefault("-Xmx128m,-XX:+UseSerialGC,-XX:TieredStopAtLevel=1")
        List<String> jvmOptions();

        /** The java launcher of replicas; default: the one running Alpha. */
        Optional<Path> java();

        /**
         * Class-data sharing: a training run per image after it is unpacked writes a class-data archive that every
         * start of that image maps (faster starts; see the local runtime's {@code trainClassData}).
         */
        @WithDefault("true")
        boolean classDataSharing();

        /** How long a version may take to become ready before it counts as failing. */
        @WithDefault("60s")
        Duration startTimeout();

        /** Replicas log JSON, as on Kubernetes ({@code alpha.kubernetes.json-logs}): for log tools, and tests. */
        @WithDefault("false")
        boolean jsonLogs();

        /** How long a stopping replica gets to drain before it is killed. */
        @WithDefault("15s")
        Duration stopTimeout();

        /**
         * Secrets of replicas, the local counterpart of their Kubernetes Secrets: in this directory, the file named
         * after a replica with {@code .env} (e.g. {@code telegram.env}) holds {@code NAME=value} lines given to that
         * replica's process alone (the telegram replica's {@code TELEGRAM_BOT_TOKEN}, say). A file that others may read
         * is refused. Default: the {@code secrets} directory of the state directory.
         */
        Optional<Path> secretsDir();
    }

    /**
     * The Kubernetes runtime. The API server, credentials and namespace come from {@code quarkus.kubernetes-client.*}
     * (in a pod: its service account).
     */
    Kubernetes kubernetes();

    interface Kubernetes {
        /** The namespace replicas run in; default: the client's (in a pod, its own). */
        Optional<String> namespace();

        /**
         * Alpha's own Deployment (k8s/base's {@code alpha}), whose image Alpha sets when a new version of Alpha is
         * approved through a load request; its container is the one named {@code alpha}, else the first.
         */
        @WithDefault("alpha")
        String selfDeployment();

        /** How objects are written (docs/adr/0007-kubernetes-applier.md). */
        @WithDefault("server-side-apply")
        ApplyStrategy apply();

        enum ApplyStrategy {
            /** Server-side apply, field manager {@code reside-alpha}, conflicts forced: real clusters. */
            SERVER_SIDE_APPLY,
            /** Get, then create or update when the spec-hash annotation differs: where apply is unavailable. */
            CREATE_OR_UPDATE
        }

        /** etcd as replicas reach it ({@code RESIDE_ETCD_ENDPOINTS}); default: the endpoints Alpha uses. */
        Optional<List<String>> etcdEndpoints();

        /** JVM options of replicas, passed as {@code JAVA_OPTS} (memory-conscious by default: SPEC 11). */
        @WithDefault("-Xmx128m,-XX:+UseSerialGC,-XX:TieredStopAtLevel=1")
        List<String> jvmOptions();

        /**
         * Replicas log JSON (one object per record: the MDC with trace id, caller and actor, and the replica's name
         * in {@code replica}), for a cluster's log collector (docs/operations.md, "Logs").
         */
        @WithDefault("true")
        boolean jsonLogs();

        /** The port replicas serve on in their pods. */
        @WithDefault("8080")
        int containerPort();

        /** The user replicas run as (non-root; 185 is the user of Quarkus's JRE base images). */
        @WithDefault("185")
        long runAsUser();

        @WithDefault("50m")
        String cpuRequest();

        @WithDefault("192Mi")
        String memoryRequest();

        @WithDefault("256Mi")
        String memoryLimit();

        /** A Secret with registry credentials for pulling replica images. */
        Optional<String> imagePullSecret();

        /** The node label that a replica's placement group selects ({@code setPlacementGroup}). */
        @WithDefault("reside.io/placement-group")
        String placementLabel();

        /** How often a oneshot replica's Job is retried before it counts as failed. */
        @WithDefault("3")
        int jobBackoffLimit();

        /** The Secret that holds the one-time super-admin claim code. */
        @WithDefault("reside-claim-code")
        String claimCodeSecret();

        /** How often the informers list everything again, besides watching. */
        @WithDefault("10m")
        Duration resync();

        /** NetworkPolicies derived from the wiring (docs/kubernetes.md, "Network"). */
        NetworkPolicies networkPolicies();

        interface NetworkPolicies {
            /**
             * Give each running replica a NetworkPolicy that admits exactly its declared traffic. Meant for a
             * namespace with a default-deny policy (the production overlay turns both on).
             */
            @WithDefault("false")
            boolean enabled();

            /** The labels of etcd's pods ({@code k=v,k2=v2}). */
            @WithDefault("app.kubernetes.io/name=etcd")
            String etcdSelector();

            @WithDefault("2379")
            int etcdPort();

            /** The labels of Alpha's pods, which replicas requiring alpha.v1 call. */
            @WithDefault("app.kubernetes.io/name=alpha")
            String alphaSelector();

            @WithDefault("8080")
            int alphaPort();

            /**
             * The namespace of the ingress controller: replicas with an Ingress accept its traffic. None: only other
             * replicas reach them.
             */
            Optional<String> ingressNamespace();

            /**
             * {@code <required>:<implemented>} contract pairs: a replica that requires the first and implements the
             * second is called back by its implementors of the first (telegram calls its handlers).
             */
            @WithDefault("telegram.v1:telegram-handler.v1")
            List<String> callbacks();

            /** Contracts whose implementors may reach the outside ({@link #externalPort()}): the Bot API. */
            @WithDefault("telegram.v1")
            List<String> externalEgress();

            @WithDefault("443")
            int externalPort();
        }

        Ingress ingress();

        interface Ingress {
            /** Give each replica that serves methods an Ingress path {@code /replicas/<name>/}. */
            @WithDefault("true")
            boolean enabled();

            Optional<String> className();

            /** The host of the rules; none: every host. */
            Optional<String> host();

            /**
             * The URL the Ingress is reached at from outside (e.g. {@code https://reside.example.org}): each replica's
             * {@code external} endpoint is this plus {@code /replicas/<name>}.
             */
            Optional<String> externalUrl();

            /**
             * How the prefix is taken off before the replica sees the request: {@code nginx} (a regular-expression
             * path and ingress-nginx's {@code rewrite-target}) or {@code none} (a plain {@code Prefix} path; the
             * controller strips the prefix by its own configuration, e.g. a Traefik middleware given in
             * {@code annotations}).
             */
            @WithDefault("nginx")
            Rewrite rewrite();

            enum Rewrite {
                NGINX,
                NONE
            }

            /** Annotations added to every Ingress. */
            Map<String, String> annotations();
        }
    }

    /** Tracing of the replicas Alpha runs (docs/operations.md, "Tracing"). */
    Telemetry telemetry();

    interface Telemetry {
        /**
         * An OTLP/HTTP collector (e.g. {@code http://otel-collector.monitoring:4318}): every replica then exports its
         * spans there, with its name as the resource attribute {@code reside.replica}. None: tracing stays off.
         */
        Optional<String> otlpEndpoint();
    }

    /** RPC over TLS between replicas (docs/security.md, "TLS"). */
    Tls tls();

    interface Tls {
        /**
         * Every replica serves HTTPS only, with a certificate from the cluster CA that Alpha holds, and trusts only
         * that CA for the calls it makes; its endpoints are {@code https}. Local runtime: the CA in
         * {@code <state-dir>/tls}; Kubernetes: in the Secret {@link #caSecret()}. Alpha's own API is configured on its
         * own ({@code quarkus.http.ssl.*}: the production overlay mounts the Secret alpha-tls).
         */
        @WithDefault("false")
        boolean enabled();

        /** How long a replica's certificate is valid; Alpha issues a new one when a third of it is left. */
        @WithDefault("P90D")
        Duration certificateValidity();

        /**
         * Kubernetes: the Secret of the cluster CA ({@code ca.crt}, {@code ca.key}), made by
         * {@code reside cluster bootstrap}, or by Alpha when missing.
         */
        @WithDefault("reside-ca")
        String caSecret();
    }

    /** Bootstrap of an empty cluster. */
    Bootstrap bootstrap();

    interface Bootstrap {
        /** Generate Alpha's key file when {@code reside.account-key-file} names a file that does not exist. */
        @WithDefault("true")
        boolean generateKey();

        /**
         * The operator's public key (base64url Ed25519, as {@code reside account create} prints it): registered at
         * the first start as an unmanaged user, so that the operator can claim super-admin access with the claim
         * code. Without it, only an account registered otherwise can claim.
         */
        Optional<String> operatorPublicKey();
    }

    /**
     * Where replicas reach Alpha, access context → base URL (e.g. {@code alpha.advertised-endpoints.internal=
     * http://alpha.reside.svc:8080}); default: the runtime's (local: {@code http://127.0.0.1:<port>}; kubernetes:
     * {@code http://alpha.<namespace>.svc:<port>}). Published in the RCBs of replicas that require alpha.v1.
     */
    Map<String, String> advertisedEndpoints();

    /** How often the workload reconciler looks even when nothing changed (drift, crashed processes). */
    @WithDefault("1s")
    Duration reconcileInterval();

    /**
     * How long a stored key no instance has is kept before it is deleted: an approval saves the key just before its
     * transaction commits, so a key younger than this may belong to an approval in progress.
     */
    @WithDefault("2m")
    Duration orphanKeyGrace();

    /** Fault injection for tests only. */
    Testing testing();

    interface Testing {
        /**
         * A directory of crash points: when it holds a file named {@code approve-after-key} (the key saved, nothing
         * committed) or {@code approve-after-commit} (committed, not answered), the next approval deletes the file
         * and halts Alpha at that point at once, as a SIGKILL would.
         */
        Optional<Path> crashPoints();
    }
}
