package io.reside.etcd;

/** A {@code get} found no document at the key; the {@code find} variants return an empty {@code Optional}. */
public final class NotFoundException extends StoreException {

    private static final long serialVersionUID = 1L;

    public NotFoundException(String message) {
        super(message);
    }
}
