package io.reside.etcd;

/**
 * etcd did not answer a call within its deadline, or the connection failed. Nothing is known to have been written
 * (for a commit whose outcome is unknown, see {@link CommitOutcomeUnknownException}). Safe to retry later: the store
 * reconnects by itself.
 */
public class EtcdUnavailableException extends StoreException {

    private static final long serialVersionUID = 1L;

    public EtcdUnavailableException(String message, Throwable cause) {
        super(message, cause);
    }
}
