package io.reside.etcd;

/**
 * A transaction or value would exceed one of etcd's limits (operations per transaction, bytes per request). It is
 * refused before anything is sent; the message names the limit and the key.
 */
public final class LimitExceededException extends StoreException {

    private static final long serialVersionUID = 1L;

    public LimitExceededException(String message) {
        super(message);
    }
}
