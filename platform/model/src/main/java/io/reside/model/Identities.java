package io.reside.model;

import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Identities are OCI image names without a tag: {@code <prefix>/contracts/<name>.v<N>} for contracts and
 * {@code <prefix>/replicas/<name>} for replicas. The prefix is a registry host (with an optional port) and path,
 * {@value #DEFAULT_PREFIX} by default so that a local registry works out of the box.
 */
public final class Identities {

    public static final String DEFAULT_PREFIX = "localhost:5000/reside";

    private static final String COMPONENT = "[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*";
    private static final String PREFIX = COMPONENT + "(?::[0-9]+)?(?:/" + COMPONENT + ")*";
    /** Contract and replica names: lowercase letters and digits, single dashes inside. */
    public static final Pattern NAME = Pattern.compile("[a-z0-9]+(?:-[a-z0-9]+)*");
    private static final Pattern PREFIX_PATTERN = Pattern.compile(PREFIX);
    private static final Pattern CONTRACT = Pattern.compile("(" + PREFIX + ")/contracts/(" + NAME.pattern()
            + ")\\.v([1-9][0-9]{0,8})");
    private static final Pattern REPLICA = Pattern.compile("(" + PREFIX + ")/replicas/(" + NAME.pattern() + ")");

    private Identities() {
    }

    /** A contract identity, parsed. */
    public record ContractId(String prefix, String name, int version) {
        /** {@code <name>.v<version>}, the key used in RPC paths. */
        public String key() {
            return name + ".v" + version;
        }

        @Override
        public String toString() {
            return prefix + "/contracts/" + key();
        }
    }

    /** A replica identity, parsed. */
    public record ReplicaId(String prefix, String name) {
        @Override
        public String toString() {
            return prefix + "/replicas/" + name;
        }
    }

    public static boolean isValidPrefix(String prefix) {
        return prefix != null && PREFIX_PATTERN.matcher(prefix).matches();
    }

    public static String contract(String prefix, String name, int version) {
        return prefix + "/contracts/" + name + ".v" + version;
    }

    public static String replica(String prefix, String name) {
        return prefix + "/replicas/" + name;
    }

    public static Optional<ContractId> parseContract(String identity) {
        if (identity == null) {
            return Optional.empty();
        }
        Matcher m = CONTRACT.matcher(identity);
        return m.matches() ? Optional.of(new ContractId(m.group(1), m.group(2), Integer.parseInt(m.group(3))))
                : Optional.empty();
    }

    public static Optional<ReplicaId> parseReplica(String identity) {
        if (identity == null) {
            return Optional.empty();
        }
        Matcher m = REPLICA.matcher(identity);
        return m.matches() ? Optional.of(new ReplicaId(m.group(1), m.group(2))) : Optional.empty();
    }
}
