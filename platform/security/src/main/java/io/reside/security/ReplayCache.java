package io.reside.security;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Remembers the ids ({@code jti}) of proofs until they expire, so none is accepted twice. Bounded: when full of
 * unexpired ids it refuses new proofs ({@link AuthenticationFailure.Reason#REPLAY_CACHE_FULL}) rather than forget one
 * and allow its replay.
 */
public final class ReplayCache {

    private final Map<String, Long> seen = new ConcurrentHashMap<>();
    private final int capacity;
    private final AtomicLong inserts = new AtomicLong();

    public ReplayCache(int capacity) {
        this.capacity = capacity;
    }

    /**
     * Records {@code id} until {@code expiresAtSeconds}.
     *
     * @throws AuthenticationFailure when it was seen before, or the cache is full
     */
    public void record(String id, long expiresAtSeconds, long nowSeconds) throws AuthenticationFailure {
        if (inserts.incrementAndGet() % 1024 == 0 || seen.size() >= capacity) {
            sweep(nowSeconds);
        }
        if (seen.size() >= capacity) {
            throw new AuthenticationFailure(AuthenticationFailure.Reason.REPLAY_CACHE_FULL,
                    "too many proofs in flight; try again shortly");
        }
        Long previous = seen.putIfAbsent(id, expiresAtSeconds);
        if (previous != null && previous >= nowSeconds) {
            throw new AuthenticationFailure(AuthenticationFailure.Reason.PROOF_REPLAYED,
                    "this proof (jti) was already used; sign every request anew");
        }
        if (previous != null) {
            seen.put(id, expiresAtSeconds);
        }
    }

    public int size() {
        return seen.size();
    }

    private void sweep(long nowSeconds) {
        seen.values().removeIf(expiry -> expiry < nowSeconds);
    }
}
