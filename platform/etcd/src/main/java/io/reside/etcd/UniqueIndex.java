package io.reside.etcd;

import static java.util.Objects.requireNonNull;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * A unique index (value → id), e.g. replica name → replica id. Each entry is its own key,
 * {@code index/<index>/<url-encoded value>}, written in the same transaction as the document it indexes. Uniqueness
 * is enforced by etcd, not by a read-then-write race: a claim commits only if the entry key has not been created
 * meanwhile (a create-revision guard), so of any number of concurrent claims of one value exactly one succeeds and
 * the others get {@link AlreadyExistsException}.
 */
public final class UniqueIndex {

    private static final Pattern NAME = Pattern.compile("[a-z0-9][-a-z0-9]*");
    private static final DocType<Entry> ENTRY = DocType.of("unique-index-entry", Entry.class);

    private final String name;

    private UniqueIndex(String name) {
        this.name = name;
    }

    /** @param name lowercase letters, digits and '-', e.g. {@code replica-name} */
    public static UniqueIndex named(String name) {
        requireNonNull(name, "name");
        if (!NAME.matcher(name).matches()) {
            throw new IllegalArgumentException(
                    "index name '" + name
                            + "' must be lowercase letters, digits and '-', starting with a letter or digit");
        }
        return new UniqueIndex(name);
    }

    public String name() {
        return name;
    }

    /**
     * Records {@code value → id}. Claiming a value again for the same id changes nothing.
     *
     * @throws AlreadyExistsException when {@code value} belongs to another id (now, or by a concurrent commit)
     */
    public void claim(Tx tx, String value, String id) {
        requireNonNull(id, "id");
        String key = key(value);
        Optional<Entry> existing = tx.find(ENTRY, key);
        if (existing.isPresent()) {
            if (existing.get().id().equals(id)) {
                return;
            }
            throw new AlreadyExistsException(name + " '" + value + "' already exists (it belongs to "
                    + existing.get().id() + "); choose another");
        }
        tx.create(ENTRY, key, new Entry(id));
    }

    /** The id that holds {@code value}, read inside a transaction. */
    public Optional<String> find(Tx tx, String value) {
        return tx.find(ENTRY, key(value)).map(Entry::id);
    }

    /** The id that holds {@code value}, read outside any transaction. */
    public Optional<String> find(Store store, String value) {
        return store.find(ENTRY, key(value)).map(v -> v.value().id());
    }

    /**
     * Frees {@code value} if {@code id} holds it.
     *
     * @return whether it was held by {@code id}
     */
    public boolean release(Tx tx, String value, String id) {
        requireNonNull(id, "id");
        String key = key(value);
        if (tx.find(ENTRY, key).filter(e -> e.id().equals(id)).isPresent()) {
            tx.delete(key);
            return true;
        }
        return false;
    }

    /** The etcd key (relative to the cluster root) of an entry. */
    public String key(String value) {
        requireNonNull(value, "value");
        if (value.isEmpty()) {
            throw new IllegalArgumentException("a " + name + " must not be empty");
        }
        return "index/" + name + "/" + URLEncoder.encode(value, StandardCharsets.UTF_8);
    }

    /** The stored entry: which id holds the value. */
    public record Entry(String id) {
    }
}
