package io.reside.etcd;

/**
 * A stored document cannot be read as its type: not JSON, not an object, no {@code schemaVersion}, a version this
 * code does not know, or a missing migration. The message names the key.
 */
public final class DocumentFormatException extends StoreException {

    private static final long serialVersionUID = 1L;

    public DocumentFormatException(String message, Throwable cause) {
        super(message, cause);
    }
}
