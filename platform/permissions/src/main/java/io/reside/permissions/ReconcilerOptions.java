package io.reside.permissions;

import static java.util.Objects.requireNonNull;

import java.time.Duration;

/**
 * The retry policy of the {@link PermissionReconciler} (kept apart from its retry state).
 *
 * @param initialRetryDelay the pause before retrying a failed hook; it doubles with each further failure
 *        (default 200 ms)
 * @param maxRetryDelay the longest pause (default 30 s)
 * @param resyncInterval a full pass runs at least this often, even without changes (default 60 s)
 */
public record ReconcilerOptions(Duration initialRetryDelay, Duration maxRetryDelay, Duration resyncInterval) {

    public static final ReconcilerOptions DEFAULT = new ReconcilerOptions(Duration.ofMillis(200),
            Duration.ofSeconds(30), Duration.ofSeconds(60));

    public ReconcilerOptions {
        requireNonNull(initialRetryDelay, "initialRetryDelay");
        requireNonNull(maxRetryDelay, "maxRetryDelay");
        requireNonNull(resyncInterval, "resyncInterval");
    }

    /** The pause before attempt {@code failures + 1} of a hook that failed {@code failures} times. */
    Duration delayAfter(int failures) {
        long millis = initialRetryDelay.toMillis() << Math.min(failures - 1, 20);
        return Duration.ofMillis(Math.min(millis, maxRetryDelay.toMillis()));
    }
}
