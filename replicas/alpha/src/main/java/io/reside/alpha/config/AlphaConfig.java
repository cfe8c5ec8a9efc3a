package io.reside.alpha.config;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
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

        /** How long a version may take to become ready before it counts as failing. */
        @WithDefault("60s")
        Duration startTimeout();

        /** How long a stopping replica gets to drain before it is killed. */
        @WithDefault("15s")
        Duration stopTimeout();
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
