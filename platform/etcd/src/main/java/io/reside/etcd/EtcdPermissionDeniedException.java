package io.reside.etcd;

/**
 * etcd refused a request because the store's etcd user has no permission for its keys: a replica touched keys
 * outside its own (docs/adr/0008), or its credentials lack a role. Never retried: the same request is refused again.
 */
public final class EtcdPermissionDeniedException extends StoreException {

    private static final long serialVersionUID = 1L;

    public EtcdPermissionDeniedException(String message, Throwable cause) {
        super(message, cause);
    }
}
