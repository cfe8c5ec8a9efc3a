package io.reside.etcd.internal;

import static java.util.Objects.requireNonNull;

import java.nio.charset.StandardCharsets;

import com.google.protobuf.ByteString;

/**
 * Maps relative keys onto etcd keys under a root, validating them on the way in: the cluster's
 * {@code /reside/<cluster>/}, or a prefix inside it ({@link #scoped}).
 */
final class Keyspace {

    static final int MAX_KEY_BYTES = 1024;

    private final String clusterRoot;
    private final String root;
    private final ByteString rootBytes;

    Keyspace(String cluster) {
        this("/reside/" + cluster + "/", "/reside/" + cluster + "/");
    }

    private Keyspace(String clusterRoot, String root) {
        this.clusterRoot = clusterRoot;
        this.root = root;
        this.rootBytes = ByteString.copyFromUtf8(root);
    }

    /** The keyspace of the keys under {@code prefix} (relative to this one, ending with {@code /}). */
    Keyspace scoped(String prefix) {
        validate(prefix, "scope", false);
        if (!prefix.endsWith("/")) {
            throw new IllegalArgumentException("scope '" + prefix + "' must end with '/'");
        }
        return new Keyspace(clusterRoot, root + prefix);
    }

    /** The keyspace of the whole cluster. */
    Keyspace cluster() {
        return root.equals(clusterRoot) ? this : new Keyspace(clusterRoot, clusterRoot);
    }

    String root() {
        return root;
    }

    /** Where this keyspace starts, relative to the cluster root ({@code ""} for the cluster itself). */
    String scope() {
        return root.substring(clusterRoot.length());
    }

    /** An etcd key from a relative key. */
    ByteString key(String key) {
        validate(key, "key", false);
        return ByteString.copyFromUtf8(root + key);
    }

    /** The start of a range of keys from a relative prefix ({@code ""} is the whole cluster). */
    ByteString prefix(String prefix) {
        validate(prefix, "prefix", true);
        return ByteString.copyFromUtf8(root + prefix);
    }

    /** The etcd key of a lock. */
    ByteString lock(String name) {
        validate(name, "lock name", false);
        return ByteString.copyFromUtf8(root + "locks/" + name);
    }

    /** The relative key of an etcd key under this cluster. */
    String relative(ByteString key) {
        if (!key.startsWith(rootBytes)) {
            throw new IllegalStateException("etcd key outside " + root + ": " + key.toStringUtf8());
        }
        return key.substring(rootBytes.size()).toStringUtf8();
    }

    /**
     * A key for messages: relative to this keyspace when it is inside, else relative to the cluster root and marked
     * so (a transaction may touch both through {@link io.reside.etcd.Tx#cluster()}).
     */
    String describe(ByteString key) {
        if (key.startsWith(rootBytes)) {
            return key.substring(rootBytes.size()).toStringUtf8();
        }
        String k = key.toStringUtf8();
        return k.startsWith(clusterRoot) ? "(cluster) " + k.substring(clusterRoot.length()) : k;
    }

    /** The first key after every key starting with {@code prefix} (etcd's range_end for a prefix). */
    static ByteString rangeEnd(ByteString prefix) {
        byte[] end = prefix.toByteArray();
        for (int i = end.length - 1; i >= 0; i--) {
            if (end[i] != (byte) 0xff) {
                end[i]++;
                return ByteString.copyFrom(end, 0, i + 1);
            }
        }
        return ByteString.copyFrom(new byte[] { 0 }); // every key
    }

    static void validate(String key, String what, boolean emptyAllowed) {
        requireNonNull(key, () -> what + " must not be null");
        if (key.isEmpty()) {
            if (emptyAllowed) {
                return;
            }
            throw new IllegalArgumentException(what + " must not be empty");
        }
        if (key.startsWith("/")) {
            throw new IllegalArgumentException(what + " '" + key
                    + "' must be relative to the cluster root /reside/<cluster>/: remove the leading '/'");
        }
        for (int i = 0; i < key.length(); i++) {
            char c = key.charAt(i);
            if (c < 0x20 || c == 0x7f) {
                throw new IllegalArgumentException(
                        what + " '" + printable(key) + "' contains a control character at index " + i);
            }
        }
        if (key.getBytes(StandardCharsets.UTF_8).length > MAX_KEY_BYTES) {
            throw new IllegalArgumentException(what + " '" + key.substring(0, 40) + "...' is longer than "
                    + MAX_KEY_BYTES + " bytes");
        }
    }

    private static String printable(String key) {
        StringBuilder sb = new StringBuilder();
        key.chars().forEach(c -> sb.append(c < 0x20 || c == 0x7f ? String.format("\\u%04x", c) : (char) c));
        return sb.toString();
    }
}
