package io.reside.etcd;

/** etcd refused a request for a reason other than the ones with their own exception (e.g. permission denied). */
public final class EtcdRejectedException extends StoreException {

    private static final long serialVersionUID = 1L;

    public EtcdRejectedException(String message, Throwable cause) {
        super(message, cause);
    }
}
