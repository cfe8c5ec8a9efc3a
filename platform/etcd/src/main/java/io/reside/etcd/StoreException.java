package io.reside.etcd;

/** Base of every failure the store reports; each subclass is one documented failure mode. */
public abstract class StoreException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    protected StoreException(String message) {
        super(message);
    }

    protected StoreException(String message, Throwable cause) {
        super(message, cause);
    }
}
