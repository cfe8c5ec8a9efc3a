package io.reside.etcd.internal;

import static java.util.Objects.requireNonNull;

import java.nio.charset.StandardCharsets;

import com.google.protobuf.ByteString;

/**
 * Maps keys relative to a cluster onto etcd keys under {@code /reside/<cluster>/}, validating them on the way in.
 */
final class Keyspace {

    static final int MAX_KEY_BYTES = 1024;

    private final String root;
    private final ByteString rootBytes;

    Keyspace(String cluster) {
        this.root = "/reside/" + cluster + "/";
        this.rootBytes = ByteString.copyFromUtf8(root);
    }

    String root() {
        return root;
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
