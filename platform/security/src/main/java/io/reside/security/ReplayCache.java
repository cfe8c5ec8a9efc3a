package io.reside.security;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Remembers the ids ({@code jti}) of proofs until they expire, so that none is accepted twice. Bounded twice: each
 * account may hold at most {@link Limits#perAccount()} ids (beyond it, that account's new proofs are refused with
 * {@link AuthenticationFailure.Reason#REPLAY_CACHE_FULL} and nobody else's), and all accounts together at most
 * {@link Limits#global()}. A full cache refuses new proofs rather than forget an id and allow its replay.
 * <p>
 * Ids are kept as their 16 bytes, in buckets by the second they expire in; a bucket is dropped whole once its second
 * has passed, so that insertion and expiry cost constant time per id. Thread-safe.
 */
public final class ReplayCache {

    /**
     * @param global ids held for all accounts together
     * @param perAccount ids held for one account: about 60 s of its signed calls (a proof lives at most 60 s plus
     *        30 s of skew)
     */
    public record Limits(int global, int perAccount) {
        public static final Limits DEFAULT = new Limits(100_000, 10_000);

        public Limits {
            if (perAccount < 1 || global < perAccount) {
                throw new IllegalArgumentException("replay cache limits need 1 <= perAccount <= global, got "
                        + perAccount + " and " + global);
            }
        }
    }

    /**
     * Seconds ahead an id may expire: a verified proof expires at most 120 s after now ({@code iat} 30 s ahead, 60 s of
     * lifetime, 30 s of skew), well within this.
     */
    static final int HORIZON = 256;

    private record Id(long high, long low) {
    }

    private record Entry(Id id, String account) {
    }

    private static final class Bucket {
        long second = Long.MIN_VALUE;
        final List<Entry> entries = new ArrayList<>();
    }

    private final Limits limits;
    private final Map<Id, Long> seen = new HashMap<>();
    private final Map<String, int[]> perAccount = new HashMap<>();
    private final Bucket[] buckets = new Bucket[HORIZON];
    private long sweptUpTo = Long.MIN_VALUE;

    public ReplayCache(Limits limits) {
        this.limits = limits;
        for (int i = 0; i < HORIZON; i++) {
            buckets[i] = new Bucket();
        }
    }

    /**
     * Records the proof id {@code jti} of {@code account} until {@code expiresAtSeconds}.
     *
     * @throws AuthenticationFailure {@code proof-replayed} when it was seen before; {@code replay-cache-full} when
     *         the account's share or the whole cache is full; {@code proof-malformed} when the id is not 16 bytes of
     *         canonical base64url or expires beyond {@link #HORIZON}
     */
    public synchronized void record(String account, String jti, long expiresAtSeconds, long nowSeconds)
            throws AuthenticationFailure {
        byte[] bytes = Encoding.fromCanonicalBase64url(jti, 16);
        if (bytes == null || expiresAtSeconds >= nowSeconds + HORIZON) {
            throw new AuthenticationFailure(AuthenticationFailure.Reason.PROOF_MALFORMED, "a proof id (jti) is 16 "
                    + "bytes of base64url, and a proof lives at most " + RequestProofs.MAX_LIFETIME_SECONDS + " s");
        }
        sweep(nowSeconds);
        if (expiresAtSeconds < nowSeconds) {
            return; // expired: the proof itself is refused by its time checks
        }
        Id id = new Id(toLong(bytes, 0), toLong(bytes, 8));
        if (seen.containsKey(id)) {
            throw new AuthenticationFailure(AuthenticationFailure.Reason.PROOF_REPLAYED,
                    "this proof (jti) was already used; sign every request anew");
        }
        int[] count = perAccount.computeIfAbsent(account, a -> new int[1]);
        if (count[0] >= limits.perAccount()) {
            throw new AuthenticationFailure(AuthenticationFailure.Reason.REPLAY_CACHE_FULL, "account " + account
                    + " has " + limits.perAccount() + " signed proofs in flight, its share of the replay cache: sign "
                    + "fewer requests a minute (a session needs one)");
        }
        if (seen.size() >= limits.global()) {
            throw new AuthenticationFailure(AuthenticationFailure.Reason.REPLAY_CACHE_FULL, "too many signed proofs "
                    + "in flight; try again shortly");
        }
        count[0]++;
        seen.put(id, expiresAtSeconds);
        Bucket bucket = buckets[(int) Math.floorMod(expiresAtSeconds, (long) HORIZON)];
        if (bucket.second != expiresAtSeconds) {
            drop(bucket); // a bucket of an earlier lap that the sweep did not reach (the clock jumped)
            bucket.second = expiresAtSeconds;
        }
        bucket.entries.add(new Entry(id, account));
    }

    /** Ids held in all. */
    public synchronized int size() {
        return seen.size();
    }

    /** Ids held for {@code account}. */
    public synchronized int sizeOf(String account) {
        int[] count = perAccount.get(account);
        return count == null ? 0 : count[0];
    }

    /** Drops the buckets of the seconds before {@code now}, at most one lap of the ring. */
    private void sweep(long now) {
        long from = Math.max(sweptUpTo, now - HORIZON);
        for (long s = from; s < now; s++) {
            Bucket bucket = buckets[(int) Math.floorMod(s, (long) HORIZON)];
            if (bucket.second == s) {
                drop(bucket);
            }
        }
        sweptUpTo = Math.max(sweptUpTo, now);
    }

    private void drop(Bucket bucket) {
        for (Entry e : bucket.entries) {
            seen.remove(e.id());
            int[] count = perAccount.get(e.account());
            if (count != null && --count[0] == 0) {
                perAccount.remove(e.account());
            }
        }
        bucket.entries.clear();
        bucket.second = Long.MIN_VALUE;
    }

    private static long toLong(byte[] b, int offset) {
        long v = 0;
        for (int i = 0; i < 8; i++) {
            v = (v << 8) | (b[offset + i] & 0xff);
        }
        return v;
    }
}
