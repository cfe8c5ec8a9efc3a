package io.reside.etcd;

/** Something that must be unique (a key created with {@link Tx#create}, a {@link UniqueIndex} entry) exists. */
public final class AlreadyExistsException extends StoreException {

    private static final long serialVersionUID = 1L;

    public AlreadyExistsException(String message) {
        super(message);
    }
}
