package io.reside.etcd;

/**
 * The commit of a transaction was sent but no answer came back: it may or may not have been applied. The store does
 * not re-run the transaction by itself (re-running an increment would apply it twice) unless the transaction was
 * declared idempotent with {@link TxOptions.Builder#idempotent(boolean)}.
 */
public final class CommitOutcomeUnknownException extends EtcdUnavailableException {

    private static final long serialVersionUID = 1L;

    public CommitOutcomeUnknownException(String message, Throwable cause) {
        super(message, cause);
    }
}
