package io.reside.etcd;

/** {@link Store#locked} waited {@link StoreConfig#lockWaitTimeout()} for a lock another process holds. */
public final class LockTimeoutException extends StoreException {

    private static final long serialVersionUID = 1L;

    public LockTimeoutException(String message, Throwable cause) {
        super(message, cause);
    }
}
