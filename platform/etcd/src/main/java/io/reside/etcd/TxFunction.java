package io.reside.etcd;

/**
 * The body of a transaction. The store may run it several times (once per attempt), so it must have no side
 * effects outside the {@link Tx}: schedule them with {@link Tx#afterCommit(Runnable)}. An exception it throws
 * aborts the transaction (nothing is written) and reaches the caller unchanged.
 */
@FunctionalInterface
public interface TxFunction<T> {
    T apply(Tx tx);
}
