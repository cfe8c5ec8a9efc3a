package io.reside.etcd;

/**
 * What a watch covers and where it starts.
 *
 * @param prefix watch every key starting with the given string, not only that key
 * @param startRevision deliver changes from this revision on; 0 means changes after the watch is created
 * @param initialSnapshot first deliver the current state through {@link WatchListener#onReset}, then the changes
 *        after it (ignores {@code startRevision})
 */
public record WatchOptions(boolean prefix, long startRevision, boolean initialSnapshot) {

    public WatchOptions {
        if (startRevision < 0) {
            throw new IllegalArgumentException("startRevision must not be negative, got " + startRevision);
        }
    }

    /** One key, from now on. */
    public static WatchOptions forKey() {
        return new WatchOptions(false, 0, false);
    }

    /** Every key under a prefix, from now on. */
    public static WatchOptions forPrefix() {
        return new WatchOptions(true, 0, false);
    }

    public WatchOptions fromRevision(long revision) {
        return new WatchOptions(prefix, revision, initialSnapshot);
    }

    public WatchOptions withInitialSnapshot() {
        return new WatchOptions(prefix, startRevision, true);
    }
}
