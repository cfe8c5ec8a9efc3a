package io.reside.etcd;

/**
 * The lock a {@link Store#locked} transaction ran under is no longer held by this process (its lease expired or was
 * revoked, for example after the process was paused), so its commit was refused by the fence. Nothing of that
 * transaction was written. Side effects already made outside etcd must be reconciled by the next holder.
 */
public final class LockLostException extends StoreException {

    private static final long serialVersionUID = 1L;

    public LockLostException(String message) {
        super(message);
    }
}
