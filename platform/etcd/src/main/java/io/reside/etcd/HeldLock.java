package io.reside.etcd;

/**
 * A lock held by {@link Store#locked}. Every commit made under it is fenced: etcd applies it only if the lock key
 * still exists with this holder's revision.
 */
public interface HeldLock {

    String name();

    /**
     * The etcd revision that created the lock key: strictly increasing from one holder to the next, so external
     * systems can reject writes from an older holder.
     */
    long fencingToken();

    /**
     * Whether the lease is known to be alive. It turns false, for good, when a keep-alive reports the lease gone or
     * no keep-alive has succeeded for a whole TTL.
     */
    boolean isHeld();

    /** @throws LockLostException when {@link #isHeld()} is false */
    void checkHeld();

    /** Runs {@code action} (once, on a store thread) when the lock is found lost; at once if it already is. */
    void onLost(Runnable action);

    /**
     * Runs a transaction fenced by this lock (see {@link Store#run(TxOptions, TxFunction)}): its commit is refused
     * with {@link LockLostException} if the lock is no longer held.
     */
    <T> T run(TxOptions options, TxFunction<T> fn);

    /** {@link #run(TxOptions, TxFunction)} with the store's default options. */
    <T> T run(TxFunction<T> fn);
}
