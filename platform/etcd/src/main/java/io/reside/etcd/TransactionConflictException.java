package io.reside.etcd;

import java.util.Map;

/**
 * A transaction kept losing to concurrent writers: every attempt found that a key it read had changed before its
 * commit, until {@link TxOptions#maxAttempts()} was reached. Nothing of it was written. The message names the
 * contended keys and how many attempts each one failed.
 */
public final class TransactionConflictException extends StoreException {

    private static final long serialVersionUID = 1L;

    private final int attempts;
    private final Map<String, Integer> contendedKeys;

    public TransactionConflictException(int attempts, Map<String, Integer> contendedKeys) {
        super("transaction gave up after " + attempts + " attempts: keys kept changing concurrently: "
                + describe(contendedKeys)
                + "; reduce contention on these keys or raise TxOptions.maxAttempts");
        this.attempts = attempts;
        this.contendedKeys = Map.copyOf(contendedKeys);
    }

    public int attempts() {
        return attempts;
    }

    /** Key (relative to the cluster) → number of attempts in which it had changed. */
    public Map<String, Integer> contendedKeys() {
        return contendedKeys;
    }

    private static String describe(Map<String, Integer> keys) {
        if (keys.isEmpty()) {
            return "(unknown)";
        }
        StringBuilder sb = new StringBuilder();
        keys.forEach((k, n) -> sb.append(sb.length() == 0 ? "" : ", ").append('\'').append(k).append("' (")
                .append(n).append(n == 1 ? " time)" : " times)"));
        return sb.toString();
    }
}
