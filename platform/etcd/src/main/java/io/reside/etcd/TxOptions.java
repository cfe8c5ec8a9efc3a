package io.reside.etcd;

import static java.util.Objects.requireNonNull;

import java.time.Duration;

/**
 * How a transaction is retried.
 *
 * @param maxAttempts how many times the function may run before a {@link TransactionConflictException} (default 100)
 * @param initialBackoff the upper bound of the first randomised pause after a conflict; it doubles after each
 *        further conflict (default 2 ms)
 * @param maxBackoff the largest upper bound of a pause (default 100 ms)
 * @param idempotent whether running the function twice has the same effect as once; only then is a commit whose
 *        outcome is unknown (etcd stopped answering after it was sent) retried instead of reported as
 *        {@link CommitOutcomeUnknownException} (default false)
 */
public record TxOptions(int maxAttempts, Duration initialBackoff, Duration maxBackoff, boolean idempotent) {

    public static final TxOptions DEFAULT = new TxOptions(100, Duration.ofMillis(2), Duration.ofMillis(100), false);

    public TxOptions {
        if (maxAttempts < 1) {
            throw new IllegalArgumentException("maxAttempts must be at least 1, got " + maxAttempts);
        }
        requireNonNull(initialBackoff, "initialBackoff");
        requireNonNull(maxBackoff, "maxBackoff");
        if (initialBackoff.isNegative() || maxBackoff.compareTo(initialBackoff) < 0) {
            throw new IllegalArgumentException(
                    "backoff must satisfy 0 <= initialBackoff <= maxBackoff, got " + initialBackoff + ", "
                            + maxBackoff);
        }
    }

    public static Builder builder() {
        return new Builder(DEFAULT);
    }

    public Builder toBuilder() {
        return new Builder(this);
    }

    public static final class Builder {
        private int maxAttempts;
        private Duration initialBackoff;
        private Duration maxBackoff;
        private boolean idempotent;

        private Builder(TxOptions from) {
            this.maxAttempts = from.maxAttempts;
            this.initialBackoff = from.initialBackoff;
            this.maxBackoff = from.maxBackoff;
            this.idempotent = from.idempotent;
        }

        public Builder maxAttempts(int maxAttempts) {
            this.maxAttempts = maxAttempts;
            return this;
        }

        public Builder initialBackoff(Duration initialBackoff) {
            this.initialBackoff = initialBackoff;
            return this;
        }

        public Builder maxBackoff(Duration maxBackoff) {
            this.maxBackoff = maxBackoff;
            return this;
        }

        public Builder idempotent(boolean idempotent) {
            this.idempotent = idempotent;
            return this;
        }

        public TxOptions build() {
            return new TxOptions(maxAttempts, initialBackoff, maxBackoff, idempotent);
        }
    }
}
